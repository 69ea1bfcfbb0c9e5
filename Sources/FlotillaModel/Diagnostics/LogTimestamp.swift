import Foundation

/// UTC timestamps (RFC 3339) for log lines and printed times: `2026-12-06T06:10:42Z`, or
/// `2026-12-06T06:10:42.125Z` with fraction digits.
///
/// Written with `gmtime_r` rather than `ISO8601DateFormatter`: that class goes through
/// ICU, and its first use maps several MiB of ICU data into an agent that would otherwise
/// never touch it.
public enum LogTimestamp {
    /// `date` in UTC, ISO 8601, to the second or with `fractionDigits` (up to 6) more.
    public static func string(_ date: Date = Date(), fractionDigits: Int = 0) -> String {
        let whole = date.timeIntervalSince1970.rounded(.down)
        var seconds = time_t(whole)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "\(Int(date.timeIntervalSince1970))" }
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))"
            + "T\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2))"
            + fraction(date.timeIntervalSince1970 - whole, digits: min(fractionDigits, 6)) + "Z"
    }

    /// `.ddd` for `fraction` (0..<1) to `digits` digits, truncated; empty for no digits.
    private static func fraction(_ fraction: Double, digits: Int) -> String {
        guard digits > 0 else { return "" }
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let value = min(Int(fraction * Double(scale)), scale - 1)
        let text = String(value)
        return "." + String(repeating: "0", count: digits - text.count) + text
    }
}
