/// systemd `OnCalendar=` expressions as ``CalendarMatcher``s: the shorthands (`minutely`,
/// `hourly`, `daily`, `weekly`, `monthly`, `quarterly`, `semiannually`, `yearly`/`annually`)
/// and `[WEEKDAYS] [[YEAR-]MONTH-DAY] [HOUR:MINUTE[:SECOND]] [TIMEZONE]`, each number field a
/// comma-separated list of `*`, values, ranges `a..b` and repetitions `a/step`; weekdays as
/// `Mon`, `Mon..Fri`, `Sat,Sun`. A missing date is every day, a missing time is midnight
/// (systemd's defaults); the time zone defaults to UTC.
enum SystemdCalendar {
    private static let shorthands = [
        "minutely": "*-*-* *:*:00", "hourly": "*-*-* *:00:00", "daily": "*-*-* 00:00:00",
        "weekly": "Mon *-*-* 00:00:00", "monthly": "*-*-01 00:00:00", "quarterly": "*-01,04,07,10-01 00:00:00",
        "semiannually": "*-01,07-01 00:00:00", "yearly": "*-01-01 00:00:00", "annually": "*-01-01 00:00:00",
    ]
    private static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    private static let fullWeekdayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    private static let usage = "use a shorthand (hourly, daily, weekly, …) or an expression like 'Mon..Fri *-*-* 02:00:00'"

    /// The matcher, or why `text` is not an expression Flotilla runs.
    static func parse(_ text: String) -> Result<CalendarMatcher, CalendarProblem> {
        let expanded = shorthands[text.lowercased()] ?? text
        var tokens = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard !tokens.isEmpty, tokens.count <= 4 else { return .failure(CalendarProblem(usage)) }
        var matcher = CalendarMatcher()
        if let last = tokens.last, tokens.count > 1, last.allSatisfy({ $0.isLetter || $0 == "/" || $0 == "_" }) {
            guard TimeZoneNames.isKnown(last) else { return .failure(CalendarProblem("unknown time zone '\(last)'; use an IANA name like Europe/Berlin or UTC")) }
            matcher.timeZone = last
            tokens.removeLast()
        }
        var index = 0
        if index < tokens.count, let days = weekdays(tokens[index]) {
            matcher.weekdays = days
            index += 1
        }
        var sawDate = false
        matcher.hours = [0]; matcher.minutes = [0]; matcher.seconds = [0]
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            if token.contains("~") { return .failure(CalendarProblem("'~' (days counted from the end of the month) is not supported yet")) }
            if !sawDate, token.contains("-") {
                let parts = token.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 2 || parts.count == 3 else { return .failure(CalendarProblem("'\(token)' is not a date (YEAR-MONTH-DAY); \(usage)")) }
                if parts.count == 3 {
                    guard let years = numbers(parts[0], 1970...2199) else { return bad(token, "year") }
                    matcher.years = parts[0] == "*" ? nil : years
                }
                guard let months = numbers(parts[parts.count - 2], 1...12) else { return bad(token, "month") }
                guard let days = numbers(parts[parts.count - 1], 1...31) else { return bad(token, "day") }
                matcher.months = months
                matcher.days = days
                sawDate = true
                continue
            }
            if token.contains(":") {
                let parts = token.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 2 || parts.count == 3 else { return .failure(CalendarProblem("'\(token)' is not a time (HOUR:MINUTE[:SECOND]); \(usage)")) }
                guard let hours = numbers(parts[0], 0...23) else { return bad(token, "hour") }
                guard let minutes = numbers(parts[1], 0...59) else { return bad(token, "minute") }
                guard let seconds = parts.count == 3 ? numbers(parts[2].split(separator: ".").first.map(String.init) ?? "", 0...59) : [0] else {
                    return bad(token, "second")
                }
                matcher.hours = hours.sorted(); matcher.minutes = minutes.sorted(); matcher.seconds = seconds.sorted()
                continue
            }
            return .failure(CalendarProblem("'\(token)' is not a weekday, date (Y-M-D) or time (H:M:S); \(usage)"))
        }
        return .success(matcher)
    }

    private static func bad(_ token: String, _ field: String) -> Result<CalendarMatcher, CalendarProblem> {
        .failure(CalendarProblem("the \(field) in '\(token)' is not `*`, a number, a list, a range `a..b` or a repetition `a/step` within its bounds"))
    }

    /// `Mon`, `Mon..Fri`, `Sat,Sun` as weekday numbers (0 = Sunday), or nil when `token` is not weekdays.
    private static func weekdays(_ token: String) -> Set<Int>? {
        var set = Set<Int>()
        for item in token.split(separator: ",") {
            let ends = item.components(separatedBy: "..")
            guard ends.count <= 2 else { return nil }
            let numbers = ends.compactMap { name in
                weekdayNames.firstIndex(of: name.lowercased()) ?? fullWeekdayNames.firstIndex(of: name.lowercased())
            }
            guard numbers.count == ends.count else { return nil }
            if numbers.count == 2 {
                var day = numbers[0]
                while true { set.insert(day); if day == numbers[1] { break }; day = (day + 1) % 7 }
            } else {
                set.insert(numbers[0])
            }
        }
        return set.isEmpty ? nil : set
    }

    /// A number field: `*`, `5`, `1,15`, `1..5`, `*/15`, `0/20`.
    private static func numbers(_ text: String, _ range: ClosedRange<Int>) -> Set<Int>? {
        var set = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { return nil }
            var step = 1
            if pieces.count == 2 { guard let value = Int(pieces[1]), value > 0 else { return nil }; step = value }
            var low = range.lowerBound, high = range.upperBound
            if pieces[0] != "*" {
                let ends = pieces[0].components(separatedBy: "..")
                guard ends.count <= 2, let first = Int(ends[0]), range.contains(first) else { return nil }
                low = first
                if ends.count == 2 {
                    guard let last = Int(ends[1]), range.contains(last), last >= first else { return nil }
                    high = last
                } else if pieces.count == 1 {
                    high = first
                }
            }
            set.formUnion(stride(from: low, through: high, by: step))
        }
        return set.isEmpty ? nil : set
    }
}

/// Why an `OnCalendar=` expression cannot be run.
struct CalendarProblem: Error {
    let text: String
    init(_ text: String) { self.text = text }
}
