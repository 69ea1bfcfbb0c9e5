import Yams

/// Reads a unit's `health:` mapping: exactly one of `tcp: PORT`, `http: PATH` (with `port:`)
/// or `exec: COMMAND`, and optional `interval` (default 10s), `timeout` (default 2s),
/// `failures` (default 3; 0 only reports) and `grace` (default 0s).
struct HealthSyntax {
    /// The keys of `health:`.
    static let keys = ["tcp", "http", "port", "exec", "interval", "timeout", "failures", "grace"]
    /// Consecutive failed checks that restart the unit when `failures` is not given.
    static let defaultFailures = 3
    /// Seconds between checks when `interval` is not given.
    static let defaultInterval = 10.0
    /// Seconds a check may take when `timeout` is not given.
    static let defaultTimeout = 2.0

    /// Where problems go.
    let reader: YAMLReader

    /// Sets the unit's check and what it does on failure (`failures`, `grace`); problems are
    /// reported and leave the unit without a check.
    func read(_ node: Node, into spec: inout UnitSpec) {
        spec.health = check(node, unitName: spec.name)
        guard spec.health != nil, case .mapping(let mapping) = node else { return }
        spec.healthFailures = Self.defaultFailures
        for (key, value) in mapping {
            switch key.string {
            case "failures":
                guard let count = reader.integer(value, "failures") else { continue }
                guard count >= 0 else {
                    reader.error(value, "health failures of unit '\(spec.name)' must be 0 (only report) or more, got \(count)")
                    continue
                }
                spec.healthFailures = count
            case "grace":
                if let grace = reader.duration(value, "grace") { spec.healthGrace = grace }
            default: break
            }
        }
    }

    /// The check, or nil when it is invalid (problems reported).
    func check(_ node: Node, unitName: String) -> HealthCheck? {
        guard let entries = reader.entries(node, of: "health", context: "in health of unit '\(unitName)'", known: Self.keys) else { return nil }
        var byKey: [String: YAMLReader.Entry] = [:]
        for entry in entries where byKey[entry.key] == nil { byKey[entry.key] = entry }
        let kinds = entries.filter { ["tcp", "http", "exec"].contains($0.key) }
        guard let kind = kinds.first else {
            reader.error(node, "health of unit '\(unitName)' needs one of 'tcp', 'http' or 'exec'")
            return nil
        }
        if kinds.count > 1 {
            reader.error(kinds[1].keyNode, "health of unit '\(unitName)' sets both '\(kind.key)' and '\(kinds[1].key)'; use one")
            return nil
        }
        let interval = byKey["interval"].flatMap { reader.duration($0.value, "interval") } ?? Self.defaultInterval
        let timeout = byKey["timeout"].flatMap { reader.duration($0.value, "timeout") } ?? Self.defaultTimeout
        if let port = byKey["port"], kind.key != "http" {
            reader.error(port.keyNode, "'port' is only used with 'http'; 'tcp' takes the port itself")
            return nil
        }
        switch kind.key {
        case "tcp":
            guard let number = reader.integer(kind.value, "tcp"), let port = reader.port(number, kind.value) else { return nil }
            return .tcp(port: port, intervalSec: interval, timeoutSec: timeout)
        case "http":
            guard let path = reader.string(kind.value, "http") else { return nil }
            guard path.hasPrefix("/") else {
                reader.error(kind.value, "http health path '\(path)' must start with '/'")
                return nil
            }
            guard let portEntry = byKey["port"] else {
                reader.error(kind.keyNode, "an 'http' health check needs 'port'")
                return nil
            }
            guard let number = reader.integer(portEntry.value, "port"), let port = reader.port(number, portEntry.value) else { return nil }
            return .http(port: port, path: path, intervalSec: interval, timeoutSec: timeout)
        default:
            guard let words = reader.command(kind.value, "exec") else { return nil }
            return .exec(arguments: words, intervalSec: interval, timeoutSec: timeout)
        }
    }
}
