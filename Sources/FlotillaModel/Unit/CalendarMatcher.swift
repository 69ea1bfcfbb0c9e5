import Foundation

/// Calendar times that match per-field sets of values, in one time zone: what a cron
/// expression or a systemd `OnCalendar=` expression denotes. ``next(after:)`` finds the first
/// matching second after a time.
public struct CalendarMatcher: Sendable, Hashable {
    /// Allowed years; nil: any.
    public var years: Set<Int>?
    /// Allowed months (1…12), days of month (1…31), weekdays (0 = Sunday … 6).
    public var months: Set<Int>
    public var days: Set<Int>
    public var weekdays: Set<Int>
    /// Allowed hours, minutes and seconds, sorted.
    public var hours: [Int]
    public var minutes: [Int]
    public var seconds: [Int]
    /// cron's rule: when both the day of month and the day of week fields are restricted
    /// (neither starts with `*`), a day matching either counts; otherwise both must match (as
    /// systemd always requires).
    public var dayOrWeekday: Bool
    /// The time zone the fields are read in (its identifier).
    public var timeZone: String

    /// Every field unrestricted (every second), in `timeZone`.
    public init(timeZone: String = "UTC") {
        years = nil
        months = Set(1...12)
        days = Set(1...31)
        weekdays = Set(0...6)
        hours = Array(0...23)
        minutes = Array(0...59)
        seconds = Array(0...59)
        dayOrWeekday = false
        self.timeZone = timeZone
    }

    /// Days looked at before giving up (a date like Feb 30 never comes).
    static let horizonDays = 366 * 5

    /// The first matching time strictly after `time` (seconds since 1970), or nil when none
    /// comes within five years.
    public func next(after time: Double) -> Double? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        let start = Date(timeIntervalSince1970: floor(time) + 1)
        var day = calendar.startOfDay(for: start)
        let first = calendar.dateComponents([.hour, .minute, .second], from: start)
        let from = (first.hour ?? 0, first.minute ?? 0, first.second ?? 0)
        for index in 0..<Self.horizonDays {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if matches(year: parts.year!, month: parts.month!, day: parts.day!, weekday: parts.weekday! - 1) {
                // The first matching time of the day that is not before `start`. Usually the
                // first candidate; at a daylight-saving change a wall time can map before
                // `start` (a repeated hour) or not exist, so later ones are tried.
                var components = calendar.dateComponents([.year, .month, .day], from: day)
                for (h, m, s) in times(atOrAfter: index == 0 ? from : (0, 0, 0)) {
                    components.hour = h; components.minute = m; components.second = s
                    guard let date = calendar.date(from: components) else { continue }
                    if date >= start { return date.timeIntervalSince1970 }
                    // A repeated wall time maps to its first occurrence; the second is an hour on.
                    let later = date.addingTimeInterval(3600)
                    let again = calendar.dateComponents([.hour, .minute, .second], from: later)
                    if later >= start, again.hour == h, again.minute == m, again.second == s { return later.timeIntervalSince1970 }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }

    private func matches(year: Int, month: Int, day: Int, weekday: Int) -> Bool {
        guard years?.contains(year) ?? true, months.contains(month) else { return false }
        if dayOrWeekday { return days.contains(day) || weekdays.contains(weekday) }
        return days.contains(day) && weekdays.contains(weekday)
    }

    /// The allowed (hour, minute, second)s at or after `from`, in order.
    private func times(atOrAfter from: (Int, Int, Int)) -> some Sequence<(Int, Int, Int)> {
        hours.lazy.filter { $0 >= from.0 }.flatMap { h in
            minutes.lazy.filter { h > from.0 || $0 >= from.1 }.flatMap { m in
                seconds.lazy.filter { h > from.0 || m > from.1 || $0 >= from.2 }.map { (h, m, $0) }
            }
        }
    }
}
