/// Validates five-field cron expressions (`schedule:`): minute, hour, day of month, month,
/// day of week. Each field is a comma-separated list of `*`, a value, or a range `a-b`, each
/// optionally followed by `/step`. Months accept `jan`…`dec` and days of week `sun`…`sat`
/// (case-insensitive); day of week 7 is Sunday, like 0.
enum CronSchedule {
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

    /// Why `expression` is not a valid schedule, or nil when it is.
    static func problem(_ expression: String) -> String? {
        let parts = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count == 5 else {
            return "invalid schedule '\(expression)': expected 5 fields (minute hour day-of-month month day-of-week), found \(parts.count)"
        }
        for (part, field) in zip(parts, fields) {
            if let problem = fieldProblem(part, field) {
                return "invalid schedule '\(expression)': \(problem)"
            }
        }
        return nil
    }

    private static func fieldProblem(_ text: String, _ field: Field) -> String? {
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return "too many '/' in \(field.name) field '\(text)'" }
            if pieces.count == 2 {
                guard let step = Int(pieces[1]), step > 0 else {
                    return "invalid step '\(pieces[1])' in \(field.name) field; use a positive integer"
                }
                _ = step
            }
            let base = pieces[0]
            if base == "*" { continue }
            let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2 else { return "invalid range '\(base)' in \(field.name) field" }
            var values: [Int] = []
            for bound in bounds {
                switch value(String(bound), field) {
                case .success(let v): values.append(v)
                case .failure(let message): return message.text
                }
            }
            if values.count == 2, values[0] > values[1] {
                return "range '\(base)' in \(field.name) field goes backwards"
            }
        }
        return nil
    }

    private struct Message: Error { let text: String }

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
