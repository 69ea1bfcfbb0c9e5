import Yams

/// Reads a stack's `reschedule:` mapping (``ReschedulePolicy``): `attempts`, `interval`,
/// `delay` and `max_delay`, each optional.
struct RescheduleSyntax {
    /// The keys of `reschedule:`.
    static let keys = ["attempts", "interval", "delay", "max_delay"]

    /// Where problems go.
    let reader: YAMLReader
    /// The stack's name, for messages.
    let stackName: String

    /// The policy, or nil when the block has errors (all of them reported).
    func read(_ node: Node) -> ReschedulePolicy? {
        guard let entries = reader.entries(node, of: "reschedule", context: "in reschedule of stack '\(stackName)'", known: Self.keys) else { return nil }
        var policy = ReschedulePolicy()
        var valid = true
        for entry in entries {
            switch entry.key {
            case "attempts":
                guard let value = reader.count(entry, atLeast: 1, meaning: "1 or more", stack: stackName) else { valid = false; continue }
                policy.attempts = value
            default:
                guard let seconds = reader.duration(entry.value, entry.key) else { valid = false; continue }
                if entry.key == "interval", seconds <= 0 {
                    reader.error(entry.value, "interval of stack '\(stackName)' must be more than 0")
                    valid = false
                    continue
                }
                switch entry.key {
                case "interval": policy.interval = seconds
                case "delay": policy.delay = seconds
                default: policy.maxDelay = seconds
                }
            }
        }
        if valid, policy.maxDelay < policy.delay {
            reader.error(node, "max_delay of stack '\(stackName)' (\(UpdateSyntax.span(policy.maxDelay))) is shorter than its delay (\(UpdateSyntax.span(policy.delay)))")
            valid = false
        }
        return valid ? policy : nil
    }
}
