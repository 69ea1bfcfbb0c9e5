import Foundation

/// Five-field cron expressions (`schedule:`): minute, hour, day of month, month, day of
/// week. Each field is a comma-separated list of `*`, a value, or a range `a-b`, each
/// optionally followed by `/step`. Months accept `jan`…`dec` and days of week `sun`…`sat`
/// (case-insensitive); day of week 7 is Sunday, like 0. Also `@every DURATION` (runs at every
/// multiple of the duration since 1970, so any machine computes the same times) and the
/// names `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`).
/// A leading `TZ=Area/City ` (or `CRON_TZ=`) sets the time zone the fields are read in;
/// without it they are UTC.
public enum CronSchedule {
    private struct Field {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]
        let firstNameValue: Int
    }

    private static let fields: [Field] = [
        Field(name: "minute", range: 0...59, names: [], firstNameValue: 0),
        Field(name: "hour", range: 0...23, names: [], firstNameValue: 0),
        Field(name: "day-of-month", range: 1...31, names: [], firstNameValue: 1),
        Field(name: "month", range: 1...12,
              names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], firstNameValue: 1),
        Field(name: "day-of-week", range: 0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], firstNameValue: 0),
    ]

    private static let named = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                                "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                                "@hourly": "0 * * * *"]

    /// Why `expression` is not a valid schedule, or nil when it is.
    public static func problem(_ expression: String) -> String? {
        if case .failure(let message) = parse(expression) { return message.text }
        return nil
    }

    /// The rule `expression` denotes, or nil when it is invalid.
    public static func rule(_ expression: String) -> ScheduleRule? {
        try? parse(expression).get()
    }

    private struct Message: Error { let text: String }

    private static func parse(_ expression: String) -> Result<ScheduleRule, Message> {
        func invalid(_ problem: String) -> Result<ScheduleRule, Message> {
            .failure(Message(text: "invalid schedule '\(expression)': \(problem)"))
        }
        var parts = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var zone = "UTC"
        if let first = parts.first, let equals = first.firstIndex(of: "="), ["TZ", "CRON_TZ"].contains(String(first[..<equals])) {
            zone = String(first[first.index(after: equals)...])
            guard TimeZoneNames.isKnown(zone) else { return invalid("unknown time zone '\(zone)'; use an IANA name like Europe/Berlin or UTC") }
            parts.removeFirst()
        }
        if let first = parts.first, first.hasPrefix("@") {
            if first == "@every" {
                guard parts.count == 2, let seconds = DurationSyntax.seconds(parts[1]), seconds > 0 else {
                    return invalid("@every needs one duration above 0, like '@every 5m'; \(DurationSyntax.usage)")
                }
                return .success(.every(seconds))
            }
            guard parts.count == 1, let fields = named[first.lowercased()] else {
                return invalid("unknown name '\(first)'; use @every DURATION, @hourly, @daily, @weekly, @monthly or @yearly")
            }
            parts = fields.split(separator: " ").map(String.init)
        }
        guard parts.count == 5 else {
            return invalid("expected 5 fields (minute hour day-of-month month day-of-week), found \(parts.count)")
        }
        var sets: [Set<Int>] = []
        for (part, field) in zip(parts, fields) {
            switch values(part, field) {
            case .success(let set): sets.append(set)
            case .failure(let message): return invalid(message.text)
            }
        }
        var matcher = CalendarMatcher(timeZone: zone)
        matcher.minutes = sets[0].sorted()
        matcher.hours = sets[1].sorted()
        matcher.days = sets[2]
        matcher.months = sets[3]
        matcher.weekdays = Set(sets[4].map { $0 % 7 })
        matcher.seconds = [0]
        matcher.dayOrWeekday = !parts[2].hasPrefix("*") && !parts[4].hasPrefix("*")
        return .success(.calendar(matcher))
    }

    private static func values(_ text: String, _ field: Field) -> Result<Set<Int>, Message> {
        var set = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return .failure(Message(text: "too many '/' in \(field.name) field '\(text)'")) }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value > 0 else {
                    return .failure(Message(text: "invalid step '\(pieces[1])' in \(field.name) field; use a positive integer"))
                }
                step = value
            }
            let base = pieces[0]
            var low = field.range.lowerBound, high = field.range.upperBound
            if base != "*" {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { return .failure(Message(text: "invalid range '\(base)' in \(field.name) field")) }
                var found: [Int] = []
                for bound in bounds {
                    switch value(String(bound), field) {
                    case .success(let v): found.append(v)
                    case .failure(let message): return .failure(message)
                    }
                }
                if found.count == 2, found[0] > found[1] {
                    return .failure(Message(text: "range '\(base)' in \(field.name) field goes backwards"))
                }
                low = found[0]
                // `5/15` means 5, 20, 35, 50 (from 5 to the end, every 15), as in cron.
                high = found.count == 2 ? found[1] : (pieces.count == 2 ? field.range.upperBound : found[0])
            }
            set.formUnion(stride(from: low, through: high, by: step))
        }
        return .success(set)
    }

    private static func value(_ text: String, _ field: Field) -> Result<Int, Message> {
        if let number = Int(text) {
            guard field.range.contains(number) else {
                return .failure(Message(text: "\(field.name) value \(number) is out of range \(field.range.lowerBound)-\(field.range.upperBound)"))
            }
            return .success(number)
        }
        if let index = field.names.firstIndex(of: text.lowercased()) {
            return .success(index + field.firstNameValue)
        }
        if text.isEmpty { return .failure(Message(text: "empty value in \(field.name) field")) }
        let hint = field.names.isEmpty ? "" : Suggestion.hint(for: text.lowercased(), among: field.names)
        return .failure(Message(text: "invalid \(field.name) value '\(text)'\(hint)"))
    }
}

/// When a scheduled unit runs: at the times a calendar matcher denotes, or every so many
/// seconds.
public enum ScheduleRule: Sendable, Hashable {
    /// At every matching second.
    case calendar(CalendarMatcher)
    /// At every multiple of this many seconds since 1970.
    case every(Double)

    /// The first run strictly after `time`.
    public func next(after time: Double) -> Double? {
        switch self {
        case .calendar(let matcher): matcher.next(after: time)
        case .every(let interval): (floor(time / interval) + 1) * interval
        }
    }
}

/// Time zone names Foundation knows.
enum TimeZoneNames {
    static func isKnown(_ name: String) -> Bool {
        name == "UTC" || TimeZone(identifier: name) != nil
    }
}
