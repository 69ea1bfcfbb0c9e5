import Foundation

/// When the embedded store compacts its history by itself, like etcd's
/// `--auto-compaction-mode` and `--auto-compaction-retention`.
///
/// Automatic compaction uses the same path as the etcd Compact RPC: it records the compaction
/// revision (ranges and watches below it then fail with "mvcc: required revision has been
/// compacted", as on etcd) and removes the superseded rows, after which the file's free pages
/// are reused and handed back to the file system (see ``SQLiteStore``).
public enum AutoCompaction: Sendable, Hashable, CustomStringConvertible {
    /// History is kept until a Compact RPC (etcd's default).
    case off
    /// Keeps the last `keep` revisions (etcd's `revision` mode). The store compacts to
    /// `current - keep` once the history is a tenth longer than `keep`, checked after every
    /// commit, so the history stays between `keep` and `1.1 × keep` revisions whatever the
    /// write rate.
    case revision(keep: Int64)
    /// Keeps at least `retention` of history (etcd's `periodic` mode): every tenth of the
    /// retention (at most every hour) the store notes its revision and compacts to the revision
    /// it noted `retention` ago.
    case periodic(Duration)

    /// Flotilla's default: `periodic(5 minutes)`.
    ///
    /// Time-based retention is what watchers need: an agent or controller that lost its watch
    /// (network blip, restart) resumes from its last revision and must find that revision
    /// still in history, whatever the write rate was meanwhile; a revision count gives no such
    /// window under bursts. Five minutes covers reconnects and leader changes comfortably
    /// (kube-apiserver compacts its etcd every 5 minutes for the same reason), while the file
    /// stays bounded by five minutes of writes: at Flotilla's steady rate (a usage record per
    /// machine every few seconds) that is a few megabytes even for hundreds of machines.
    public static let `default` = AutoCompaction.periodic(.seconds(300))

    /// Checks the policy's values; throws ``AutoCompactionError`` saying what to use instead.
    public func validate() throws {
        switch self {
        case .off: return
        case .revision(let keep):
            guard keep >= 1 else {
                throw AutoCompactionError("auto-compaction: revision mode must keep at least 1 revision, got \(keep); use a positive count or .off")
            }
        case .periodic(let retention):
            guard retention >= .seconds(1) else {
                throw AutoCompactionError("auto-compaction: periodic retention must be at least 1s, got \(retention); use a longer duration or .off")
            }
        }
    }

    /// How often the periodic compactor notes the revision: a tenth of the retention, at most
    /// an hour (etcd's rule).
    var samplingInterval: Duration {
        guard case .periodic(let retention) = self else { return .zero }
        return min(retention / 10, .seconds(3600))
    }

    /// etcd's flag forms: `mode` is `periodic`, `revision` or `off`; `retention` is, for
    /// `periodic`, a Go duration (`5m`, `1h30m`, `90s`) or a bare number of hours (`1`, `0.5`),
    /// and for `revision` a count. A retention of `0` turns compaction off, as in etcd. A nil
    /// retention takes the mode's default (5 minutes, or 10,000 revisions).
    public static func parse(mode: String, retention: String?) throws -> AutoCompaction {
        let text = retention?.trimmingCharacters(in: .whitespaces)
        switch mode.lowercased() {
        case "off":
            if let text, !text.isEmpty, text != "0" {
                throw AutoCompactionError("auto-compaction: --auto-compaction-retention '\(text)' has no effect with mode 'off'; drop it or pick mode 'periodic' or 'revision'")
            }
            return .off
        case "revision":
            guard let text else { return .revision(keep: 10_000) }
            guard let keep = Int64(text), keep >= 0 else {
                throw AutoCompactionError("auto-compaction: revision retention must be a whole number of revisions (like 10000), got '\(text)'")
            }
            let policy = keep == 0 ? AutoCompaction.off : .revision(keep: keep)
            try policy.validate()
            return policy
        case "periodic":
            guard let text else { return .default }
            guard let retention = GoDuration.parse(text) else {
                throw AutoCompactionError("auto-compaction: periodic retention must be a duration like 5m, 1h or 90s, or a number of hours, got '\(text)'")
            }
            let policy = retention == .zero ? AutoCompaction.off : .periodic(retention)
            try policy.validate()
            return policy
        default:
            throw AutoCompactionError("auto-compaction: unknown mode '\(mode)'; use periodic, revision or off")
        }
    }

    /// The policy in etcd's flag terms, e.g. `periodic 5m0s`.
    public var description: String {
        switch self {
        case .off: return "off"
        case .revision(let keep): return "revision \(keep)"
        case .periodic(let retention): return "periodic \(GoDuration.format(retention))"
        }
    }
}

/// A bad automatic compaction setting, with what to use instead.
public struct AutoCompactionError: Error, CustomStringConvertible, Equatable {
    /// The message.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Go's `time.ParseDuration` forms used by etcd flags (`1h30m`, `5m`, `1.5s`, `300ms`), plus
/// etcd's bare number of hours for `--auto-compaction-retention`.
enum GoDuration {
    /// The duration, or nil when `text` is not one (negative values are refused).
    static func parse(_ text: String) -> Duration? {
        if let hours = Double(text) {
            return hours >= 0 && hours.isFinite ? .milliseconds(Int64((hours * 3_600_000).rounded())) : nil
        }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(text)
        var seconds = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isNumber && $0 != "." }
            guard let scale = units.first(where: { $0.0 == unit })?.1 else { return nil }
            rest = rest.dropFirst(unit.count)
            seconds += value * scale
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// Go's `Duration.String()` form for whole seconds and up: `5m0s`, `1h0m0s`, `90s` → `1m30s`.
    static func format(_ duration: Duration) -> String {
        let total = duration.components.seconds
        let (hours, minutes, seconds) = (total / 3600, total % 3600 / 60, total % 60)
        if hours > 0 { return "\(hours)h\(minutes)m\(seconds)s" }
        if minutes > 0 { return "\(minutes)m\(seconds)s" }
        return "\(seconds)s"
    }
}
