/// One stored spec of a stack, at `versions/<stack>/<version>`: written in the same
/// transaction as the stack record it copies, so its key's mod revision is that record's
/// spec revision. `flotilla history` lists them; `rollback` and automatic reverts write an
/// old one back as a new version.
public struct StackVersion: Sendable, Hashable, Codable {
    /// Record schema; readers ignore fields they don't know.
    public var schema: Int = 1
    /// The stack.
    public var stack: String
    /// Its number (``StackRecord/version`` of `record`).
    public var version: Int
    /// When it was written (seconds since 1970).
    public var at: Double
    /// What wrote it: `apply`, `rollback to 3`, `automatic revert to 3 (version 4 failed: …)`.
    public var origin: String
    /// What changed since the version before, in one line (``VersionChange``).
    public var change: String
    /// The stack record as written.
    public var record: StackRecord

    /// Creates a version record.
    public init(stack: String, version: Int, at: Double, origin: String, change: String, record: StackRecord) {
        self.stack = stack; self.version = version; self.at = at; self.origin = origin; self.change = change
        self.record = record
    }
}

/// What changed between two records of a stack, in one line for `flotilla history`:
/// `count 3 → 5; unit web: environment, exec`.
public enum VersionChange {
    /// The differences of `new` from `old` (nil: the stack's first version).
    public static func summary(from old: StackRecord?, to new: StackRecord) -> String {
        guard let old else { return "created" }
        var parts: [String] = []
        switch (old.spec.scale, new.spec.scale) {
        case (.count(let a), .count(let b)) where a != b: parts.append("count \(a) → \(b)")
        case (let a, let b) where a != b: parts.append("\(scale(a)) → \(scale(b))")
        default: break
        }
        if old.desired != new.desired { parts.append("desired \(old.desired.rawValue) → \(new.desired.rawValue)") }
        if old.spec.placement != new.spec.placement || old.spec.spread != new.spec.spread { parts.append("placement") }
        if old.spec.update != new.spec.update { parts.append("update strategy") }
        if old.spec.reschedule != new.spec.reschedule { parts.append("reschedule") }
        if old.spec.disruption != new.spec.disruption { parts.append("disruption") }
        if old.spec.disconnect != new.spec.disconnect { parts.append("disconnect") }
        if old.spec.keepVersions != new.spec.keepVersions { parts.append("keep_versions") }
        let oldUnits = Dictionary(old.spec.units.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newNames = Set(new.spec.units.map(\.name))
        for unit in new.spec.units {
            guard let before = oldUnits[unit.name] else { parts.append("unit \(unit.name) added"); continue }
            let fields = changedFields(before, unit)
            if !fields.isEmpty { parts.append("unit \(unit.name): \(fields.joined(separator: ", "))") }
        }
        for name in oldUnits.keys.sorted() where !newNames.contains(name) { parts.append("unit \(name) removed") }
        return parts.isEmpty ? "no change to the spec" : parts.joined(separator: "; ")
    }

    private static func scale(_ scale: Scale) -> String {
        switch scale {
        case .count(let count): "count \(count)"
        case .global: "global"
        }
    }

    /// The stored keys (``UnitSpec``'s coding keys) whose values differ, sorted.
    private static func changedFields(_ old: UnitSpec, _ new: UnitSpec) -> [String] {
        guard old != new else { return [] }
        let a = RecordCodec.fields(of: old), b = RecordCodec.fields(of: new)
        let changed = Set(a.keys).union(b.keys).filter { $0 != "location" && a[$0] != b[$0] }.sorted()
        return changed.isEmpty ? ["settings"] : changed
    }
}
