import Logging
import Synchronization

/// A swift-log handler that hands each message, with its metadata as `key=value` after it,
/// to a closure: tests read what a component logged.
package struct RecordingLogHandler: LogHandler {
    package var logLevel: Logger.Level = .trace
    package var metadata: Logger.Metadata = [:]
    private let record: @Sendable (String) -> Void

    /// A logger whose every message goes to `record`.
    package static func logger(_ record: @escaping @Sendable (String) -> Void) -> Logger {
        Logger(label: "test") { _ in RecordingLogHandler(record: record) }
    }

    init(record: @escaping @Sendable (String) -> Void) { self.record = record }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let suffix = all.keys.sorted().map { " \($0)=\(all[$0]!)" }.joined()
        record("\(event.message)\(suffix)")
    }
}
