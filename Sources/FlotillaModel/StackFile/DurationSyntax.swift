/// Time spans in stack files: a number of seconds (`5`, `0.5`) or systemd-style spans such
/// as `500ms`, `5s`, `1m30s`, `2min`, `1h`, `1d`, parts optionally separated by spaces.
enum DurationSyntax {
    private static let units: [(String, Double)] = [
        ("us", 0.000_001), ("ms", 0.001), ("sec", 1), ("s", 1), ("min", 60), ("m", 60),
        ("hr", 3600), ("h", 3600), ("d", 86400),
    ]

    /// Seconds, or nil when `text` is not a non-negative span.
    static func seconds(_ text: String) -> Double? {
        let chars = Array(text.trimmingSpaces())
        guard !chars.isEmpty else { return nil }
        if let plain = Double(String(chars)), plain >= 0, plain.isFinite { return plain }
        var total = 0.0
        var i = 0
        while i < chars.count {
            while i < chars.count, chars[i] == " " { i += 1 }
            guard i < chars.count else { break }
            let numberStart = i
            while i < chars.count, chars[i].isASCIIDigit || chars[i] == "." { i += 1 }
            guard i > numberStart, let number = Double(String(chars[numberStart..<i])) else { return nil }
            let unitStart = i
            while i < chars.count, chars[i].isLetter { i += 1 }
            let unit = String(chars[unitStart..<i])
            guard let factor = units.first(where: { $0.0 == unit })?.1 else { return nil }
            total += number * factor
        }
        return total
    }

    /// The usage hint shown after an invalid duration.
    static let usage = "use seconds like '5' or a span like '500ms', '5s', '1m30s', '1h'"
}
