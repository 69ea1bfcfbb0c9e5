/// systemd time spans: `5` (seconds), `5s`, `1min 30s`, `500ms`, `2h`, `1.5d`, `infinity`.
public enum TimeSpan {
    private static let units: [(names: [String], seconds: Double)] = [
        (["us", "usec", "µs"], 1e-6),
        (["ms", "msec"], 1e-3),
        (["s", "sec", "second", "seconds"], 1),
        (["m", "min", "minute", "minutes"], 60),
        (["h", "hr", "hour", "hours"], 3600),
        (["d", "day", "days"], 86400),
        (["w", "week", "weeks"], 604_800),
        (["M", "month", "months"], 2_629_800),
        (["y", "year", "years"], 31_557_600),
    ]

    /// Seconds for `text` (`Double.infinity` for `infinity`), or nil when it is not a time span.
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces()
        if trimmed == "infinity" { return .infinity }
        let chars = Array(trimmed)
        guard !chars.isEmpty else { return nil }
        var total = 0.0
        var i = 0
        while i < chars.count {
            while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
            if i == chars.count { break }
            var number = ""
            while i < chars.count, chars[i].isASCIIDigit || chars[i] == "." { number.append(chars[i]); i += 1 }
            guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != ".", let value = Double(number.hasPrefix(".") ? "0" + number : number) else { return nil }
            while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
            var unit = ""
            while i < chars.count, chars[i].isLetter || chars[i] == "µ" { unit.append(chars[i]); i += 1 }
            if unit.isEmpty {
                total += value
                continue
            }
            guard let factor = units.first(where: { $0.names.contains(unit) })?.seconds else { return nil }
            total += value * factor
        }
        return total
    }

    /// The usage text shown when a time span does not parse.
    static let usage = "use a time span like '5s', '1min 30s', '500ms', '2h' or 'infinity'"
}
