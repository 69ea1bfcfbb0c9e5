import Foundation

/// When a machine may reboot: from a start (`"14:00"` every day, or `"Thu 23:00"` every week,
/// in the machine's time zone) for a length. locksmith only gated the start (coreos/bugs#1886);
/// here a reboot starts only if it can also finish — its drain included — before the window
/// closes, and otherwise waits for the next window.
public struct RebootWindow: Sendable, Hashable {
    /// 1 = Sunday … 7 = Saturday (Foundation's weekday numbers); nil: every day.
    public var weekday: Int?
    /// Minutes after midnight.
    public var minute: Int
    /// Seconds the window stays open.
    public var length: Double

    static let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(weekday: Int?, minute: Int, length: Double) {
        self.weekday = weekday; self.minute = minute; self.length = length
    }

    /// Reads `start` (`HH:MM` or `Day HH:MM`, days as `Mon`…`Sun`) and `length` (a duration such
    /// as `1h30m`); the error says which part is wrong.
    public static func parse(start: String, length: String) -> Result<RebootWindow, RebootWindowError> {
        let parts = start.split(separator: " ", omittingEmptySubsequences: true)
        guard (1...2).contains(parts.count) else { return .failure(.init("window start '\(start)': expected 'HH:MM' or 'Day HH:MM', e.g. 'Thu 23:00'")) }
        var weekday: Int?
        if parts.count == 2 {
            guard let index = days.firstIndex(of: String(parts[0].prefix(3)).lowercased()), parts[0].count == 3 else {
                return .failure(.init("window start '\(start)': '\(parts[0])' is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)"))
            }
            weekday = index + 1
        }
        let clock = parts[parts.count - 1].split(separator: ":")
        guard clock.count == 2, let hour = Int(clock[0]), let minute = Int(clock[1]), (0..<24).contains(hour), (0..<60).contains(minute),
              clock[1].count == 2 else {
            return .failure(.init("window start '\(start)': '\(parts[parts.count - 1])' is not a time of day (HH:MM, 00:00 to 23:59)"))
        }
        guard let seconds = DurationSyntax.seconds(length), seconds > 0 else {
            return .failure(.init("window length '\(length)': expected a duration such as 1h30m"))
        }
        guard seconds <= (weekday == nil ? 86_400 : 7 * 86_400) else {
            return .failure(.init("window length '\(length)' is longer than the \(weekday == nil ? "day" : "week") between two windows"))
        }
        return .success(RebootWindow(weekday: weekday, minute: hour * 60 + minute, length: seconds))
    }

    /// The latest opening at or before `date`, in `zone`.
    public func lastOpening(atOrBefore date: Date, in zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let midnight = calendar.startOfDay(for: date)
        for back in 0...7 {
            guard let day = calendar.date(byAdding: .day, value: -back, to: midnight),
                  let opening = calendar.date(bySettingHour: minute / 60, minute: minute % 60, second: 0, of: day) else { continue }
            if let weekday, calendar.component(.weekday, from: day) != weekday { continue }
            if opening <= date { return opening }
        }
        return midnight   // unreachable: a day or a week back always has an opening
    }

    /// The first opening after `date`.
    public func nextOpening(after date: Date, in zone: TimeZone) -> Date {
        let period: Double = weekday == nil ? 86_400 : 7 * 86_400
        var candidate = lastOpening(atOrBefore: date, in: zone).addingTimeInterval(period)
        // Across a daylight-saving change the period is an hour off: ask the calendar again.
        candidate = lastOpening(atOrBefore: candidate.addingTimeInterval(2 * 3600), in: zone)
        return candidate > date ? candidate : lastOpening(atOrBefore: candidate.addingTimeInterval(period + 2 * 3600), in: zone)
    }

    /// Whether a reboot that needs `needed` seconds (its drain and the reboot itself) may start
    /// at `date`: inside a window, and done before that window closes.
    public func allowsStart(at date: Date, needing needed: Double, in zone: TimeZone) -> Bool {
        let opening = lastOpening(atOrBefore: date, in: zone)
        return date.timeIntervalSince(opening) + needed <= length
    }
}

/// A reboot window that cannot be read.
public struct RebootWindowError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
