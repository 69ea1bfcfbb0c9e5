/// Parses and prints resource quantities: cpu in millicores (`500m`, `2`, `0.5`) and byte
/// sizes with decimal (`k`, `M`, `G`, `T`) or binary (`Ki`, `Mi`, `Gi`, `Ti`) suffixes.
public enum Quantity {
    /// Why a quantity could not be parsed; the text is shown to users after the key name.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    /// Millicores from `500m`, `2`, `1.5`, `0.25`. Rejects negatives, empty text and other suffixes.
    public static func parseCPU(_ text: String) throws(ParseError) -> Int64 {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { throw ParseError(description: "empty cpu quantity; use millicores like '500m' or cores like '2'") }
        if trimmed.hasSuffix("m") {
            let number = String(trimmed.dropLast())
            guard let value = Int64(number), value >= 0 else {
                throw ParseError(description: "invalid cpu quantity '\(text)'; use millicores like '500m' or cores like '2'")
            }
            return value
        }
        guard let millis = decimalTimes(trimmed, 1000), millis >= 0 else {
            throw ParseError(description: "invalid cpu quantity '\(text)'; use millicores like '500m' or cores like '2'")
        }
        return millis
    }

    private static let byteSuffixes: [(String, Int64)] = [
        ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40),
        ("k", 1_000), ("K", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000),
    ]

    /// Bytes from `512Mi`, `1G`, `10Gi`, `4096`, `1.5Gi`.
    public static func parseBytes(_ text: String) throws(ParseError) -> Int64 {
        let trimmed = text.trimmingSpaces()
        let usage = "use a size like '512Mi', '1G' or '10Gi'"
        guard !trimmed.isEmpty else { throw ParseError(description: "empty size; \(usage)") }
        for (suffix, factor) in byteSuffixes where trimmed.hasSuffix(suffix) {
            let number = String(trimmed.dropLast(suffix.count))
            guard let bytes = decimalTimes(number, factor), bytes >= 0 else {
                throw ParseError(description: "invalid size '\(text)'; \(usage)")
            }
            return bytes
        }
        if let bytes = Int64(trimmed), bytes >= 0 { return bytes }
        if trimmed.hasSuffix("m") || trimmed.hasSuffix("g") || trimmed.hasSuffix("mb") || trimmed.hasSuffix("MB") || trimmed.hasSuffix("GB") || trimmed.hasSuffix("gb") {
            let digits = trimmed.prefix { $0.isNumber || $0 == "." }
            throw ParseError(description: "invalid size '\(text)'; did you mean '\(digits)Mi' or '\(digits)Gi'? (\(usage))")
        }
        throw ParseError(description: "invalid size '\(text)'; \(usage)")
    }

    /// `"2"`, `"500m"`, `"1500m"`.
    public static func formatCPU(_ millis: Int64) -> String {
        millis % 1000 == 0 ? "\(millis / 1000)" : "\(millis)m"
    }

    /// The largest binary unit that keeps at most one decimal: `512Mi`, `1.5Gi`, `300`.
    public static func formatBytes(_ bytes: Int64) -> String {
        let units: [(String, Int64)] = [("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)]
        for (suffix, factor) in units where bytes >= factor {
            if bytes % factor == 0 { return "\(bytes / factor)\(suffix)" }
            let tenths = (bytes * 10 + factor / 2) / factor
            if tenths % 10 == 0 { return "\(tenths / 10)\(suffix)" }
            return "\(tenths / 10).\(tenths % 10)\(suffix)"
        }
        return "\(bytes)"
    }

    /// `number × factor` for a plain decimal like `1.5`, exact to the factor's precision.
    private static func decimalTimes(_ number: String, _ factor: Int64) -> Int64? {
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !(whole.isEmpty && parts.count == 1) else { return nil }
        guard whole.allSatisfy(\.isASCIIDigit), parts.count == 1 || parts[1].allSatisfy(\.isASCIIDigit) else { return nil }
        if parts.count == 2 && parts[1].isEmpty && whole.isEmpty { return nil }
        let (product, overflow) = (whole.isEmpty ? 0 : Int64(whole) ?? Int64.max).multipliedReportingOverflow(by: factor)
        guard !overflow else { return nil }
        var result = product
        if parts.count == 2 {
            var scale = factor
            for digit in parts[1] {
                scale /= 10
                if scale == 0 { break }
                result += Int64(digit.asciiValue! - 48) * scale
            }
        }
        return result
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    package func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" { slice.removeLast() }
        return String(slice)
    }
}
