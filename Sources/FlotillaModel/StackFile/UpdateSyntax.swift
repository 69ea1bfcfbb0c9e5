import Yams

/// Reads a stack's `update:` mapping (``UpdateStrategy``): `max_parallel`, `min_healthy_time`,
/// `healthy_deadline`, `auto_revert` and `canary`, each optional.
struct UpdateSyntax {
    /// The keys of `update:`.
    static let keys = ["max_parallel", "min_healthy_time", "healthy_deadline", "auto_revert", "canary"]

    /// Where problems go.
    let reader: YAMLReader
    /// The stack's name, for messages.
    let stackName: String

    /// The strategy, or nil when the block has errors (all of them reported).
    func read(_ node: Node) -> UpdateStrategy? {
        guard let entries = reader.entries(node, of: "update", context: "in update of stack '\(stackName)'", known: Self.keys) else { return nil }
        var strategy = UpdateStrategy()
        var valid = true
        var deadlineNode: Node?
        for entry in entries {
            switch entry.key {
            case "max_parallel":
                guard let value = reader.count(entry, atLeast: 1, meaning: "1 or more", stack: stackName) else { valid = false; continue }
                strategy.maxParallel = value
            case "canary":
                guard let value = reader.count(entry, atLeast: 0, meaning: "0 (no canaries) or more", stack: stackName) else {
                    valid = false
                    continue
                }
                strategy.canary = value
            case "auto_revert":
                guard let value = reader.bool(entry.value, "auto_revert") else { valid = false; continue }
                strategy.autoRevert = value
            case "min_healthy_time":
                guard let value = reader.duration(entry.value, "min_healthy_time") else { valid = false; continue }
                strategy.minHealthyTime = value
            default:
                guard let value = reader.duration(entry.value, "healthy_deadline") else { valid = false; continue }
                guard value > 0 else {
                    reader.error(entry.value, "healthy_deadline of stack '\(stackName)' must be more than 0")
                    valid = false
                    continue
                }
                strategy.healthyDeadline = value
                deadlineNode = entry.value
            }
        }
        if valid, strategy.healthyDeadline <= strategy.minHealthyTime {
            reader.error(deadlineNode ?? node, "healthy_deadline of stack '\(stackName)' (\(Self.span(strategy.healthyDeadline))) must be longer than its min_healthy_time (\(Self.span(strategy.minHealthyTime))): no instance could ever count as healthy")
            valid = false
        }
        return valid ? strategy : nil
    }

    /// `10s`, `1.5s`, for messages.
    static func span(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}

extension YAMLReader {
    /// An integer of at least `minimum` for a key of stack `stack`'s blocks, or nil with the
    /// problem reported ("max_parallel of stack 'web' must be 1 or more, got 0").
    func count(_ entry: Entry, atLeast minimum: Int, meaning: String, stack: String) -> Int? {
        guard let value = integer(entry.value, entry.key) else { return nil }
        guard value >= minimum else {
            error(entry.value, "\(entry.key) of stack '\(stack)' must be \(meaning), got \(value)")
            return nil
        }
        return value
    }
}
