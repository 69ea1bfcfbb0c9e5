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
    /// cron's rule: when both the day of month and the day of week are restricted, a day
    /// matching either counts (systemd requires both).
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
            if matches(year: parts.year!, month: parts.month!, day: parts.day!, weekday: parts.weekday! - 1),
               let (h, m, s) = firstTime(atOrAfter: index == 0 ? from : (0, 0, 0)) {
                var components = calendar.dateComponents([.year, .month, .day], from: day)
                components.hour = h; components.minute = m; components.second = s
                if let date = calendar.date(from: components), date >= start { return date.timeIntervalSince1970 }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }

    private func matches(year: Int, month: Int, day: Int, weekday: Int) -> Bool {
        guard years?.contains(year) ?? true, months.contains(month) else { return false }
        let dayRestricted = days.count < 31, weekdayRestricted = weekdays.count < 7
        if dayOrWeekday, dayRestricted, weekdayRestricted { return days.contains(day) || weekdays.contains(weekday) }
        return days.contains(day) && weekdays.contains(weekday)
    }

    /// The first allowed (hour, minute, second) at or after `from`.
    private func firstTime(atOrAfter from: (Int, Int, Int)) -> (Int, Int, Int)? {
        for h in hours where h >= from.0 {
            for m in minutes where h > from.0 || m >= from.1 {
                for s in seconds where h > from.0 || m > from.1 || s >= from.2 { return (h, m, s) }
            }
        }
        return nil
    }
}
