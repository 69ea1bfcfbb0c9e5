import Foundation

/// UTC timestamps for log lines, `2026-12-06T06:10:42Z`.
///
/// Written with `gmtime_r` rather than `ISO8601DateFormatter`: that class goes through
/// ICU, and its first use maps several MiB of ICU data into an agent that would otherwise
/// never touch it.
public enum LogTimestamp {
    /// `date` in UTC to the second, ISO 8601.
    public static func string(_ date: Date = Date()) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "\(Int(date.timeIntervalSince1970))" }
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))"
            + "T\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2))Z"
    }
}
