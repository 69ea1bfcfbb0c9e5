import Foundation
import FlotillaModel
import Logging
import Synchronization

/// How log lines look: `text` for people, `json` (one object per line) for log shippers.
package enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-12-06T20:07:19Z info flotilla.membership: registered lease=… machine=…`
    case text
    /// `{"label":"flotilla.membership","level":"info","lease":"…","machine":"…","message":"registered","time":"…"}`
    case json
}

/// The agent's swift-log handler: one line per message on standard error, in ``LogFormat``,
/// with the logger's metadata and the message's (sorted by key, so lines diff well).
package struct LogLineHandler: LogHandler {
    package var logLevel: Logger.Level
    package var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: LogFormat

    /// A handler for the component `label`.
    package init(label: String, format: LogFormat, level: Logger.Level) {
        self.label = label; self.format = format; logLevel = level
    }

    /// Makes every logger of this process use this handler (call once, first thing).
    package static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in LogLineHandler(label: label, format: format, level: level) }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let line = Self.line(time: LogTimestamp.string(), level: event.level, label: label,
                             message: "\(event.message)", metadata: all, format: format)
        Self.output.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// One line in `format` (without its newline).
    static func line(time: String, level: Logger.Level, label: String, message: String,
                     metadata: Logger.Metadata, format: LogFormat) -> String {
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            return "\(time) \(level) \(label): \(message)" + keys.map { " \($0)=\(metadata[$0]!)" }.joined()
        case .json:
            var fields: [(String, String)] = [("time", time), ("level", "\(level)"), ("label", label), ("message", message)]
            fields += keys.map { ($0, "\(metadata[$0]!)") }
            return "{" + fields.map { "\(quoted($0.0)):\(quoted($0.1))" }.joined(separator: ",") + "}"
        }
    }

    /// `text` as a JSON string.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Keeps lines from different threads whole.
    private static let output = Mutex(())
}
