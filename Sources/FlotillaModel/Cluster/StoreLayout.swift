/// Where each cluster record lives in the store (DESIGN.md §5), under a prefix (default
/// `/flotilla/`). Keys are strings here; the store speaks bytes (`Array(key.utf8)`).
///
/// | key | record | lease |
/// |---|---|---|
/// | `machines/<id>` | ``MachineRecord`` | the machine's |
/// | `members/<id>` | ``MachineRecord`` without a lease, with ``MachineRecord/downSince`` once the lease is gone | — |
/// | `usage/<id>` | ``MachineUsage`` | the machine's |
/// | `stacks/<name>` | ``StackRecord`` | — |
/// | `assign/<machine>/<instance>` | ``Assignment`` | — |
/// | `status/<instance>/<unit>` | ``UnitStatus`` | the machine's |
/// | `decisions/<stack>` | ``DecisionRecord`` (what the controller decided: placed, unplaced and why) | — |
/// | `events/<time>-<seq>` | ``EventRecord`` | the events lease |
/// | `versions/<stack>/<version, 10 digits>` | ``StackVersion`` (every stored spec of a stack, the newest N kept) | — |
/// | `rollouts/<stack>` | ``RolloutRecord`` (the stack's current or last rollout) | — |
/// | `reschedules/<instance>` | ``RescheduleRecord`` (where a failing instance failed, and when it moved) | — |
/// | `promotions/<stack>` | the spec revision `flotilla promote` released, in decimal | — |
/// | `tokens/<name>` | ``TokenRecord`` (an API token: role, expiry, the SHA-256 of its secret) | — |
/// | `pki/ca` | the cluster CA's certificate (PEM), written once by the bootstrapping agent | — |
/// | `leader/<lease>` | election candidates; lowest create revision leads | the candidate's |
///
/// Usage lives outside `machines/` so a watch on machines sees joins and leaves only.
public struct StoreLayout: Sendable, Hashable {
    /// The prefix every key starts with; ends with `/`.
    public let prefix: String

    /// A layout under `prefix` (a trailing `/` is added when missing).
    public init(prefix: String = "/flotilla/") {
        self.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
    }

    /// Prefix of every machine record.
    public var machines: String { prefix + "machines/" }
    /// One machine's record.
    public func machine(_ id: String) -> String { machines + id }
    /// Prefix of every member record: a lease-less copy of each machine's record, so a machine
    /// whose lease expired is still listed (with when it went down) until it is forgotten.
    public var members: String { prefix + "members/" }
    /// One machine's member record.
    public func member(_ id: String) -> String { members + id }
    /// Prefix of every usage report.
    public var usages: String { prefix + "usage/" }
    /// One machine's usage report.
    public func usage(_ id: String) -> String { usages + id }
    /// Prefix of every stack record.
    public var stacks: String { prefix + "stacks/" }
    /// One stack's record.
    public func stack(_ name: String) -> String { stacks + name }
    /// Prefix of every assignment.
    public var assignments: String { prefix + "assign/" }
    /// Prefix of one machine's assignments: the only thing its agent watches.
    public func assignments(of machine: String) -> String { assignments + machine + "/" }
    /// One assignment.
    public func assignment(machine: String, instance: String) -> String { assignments(of: machine) + instance }
    /// Prefix of every unit status.
    public var statuses: String { prefix + "status/" }
    /// Prefix of one instance's unit statuses.
    public func statuses(of instance: String) -> String { statuses + instance + "/" }
    /// One unit's status.
    public func status(instance: String, unit: String) -> String { statuses(of: instance) + unit }
    /// Prefix of every reboot group (``RebootGroup``).
    public var rebootGroups: String { prefix + "reboot/" }
    /// One reboot group.
    public func rebootGroup(_ name: String) -> String { rebootGroups + name }
    /// Prefix of every discovery endpoint (``ServiceEndpoint``).
    public var endpoints: String { prefix + "endpoints/" }
    /// Where a running overlay instance is reachable.
    public func endpoint(stack: String, instance: String) -> String { endpoints + stack + "/" + instance }
    /// Prefix of every stack's decision record.
    public var decisions: String { prefix + "decisions/" }
    /// What the controller decided for one stack.
    public func decision(_ stack: String) -> String { decisions + stack }
    /// Prefix of every event.
    public var events: String { prefix + "events/" }
    /// An event key that sorts by time: `events/<unix nanoseconds, 20 digits>-<sequence>`.
    public func event(unixNanoseconds: UInt64, sequence: UInt64) -> String {
        events + Self.padded(unixNanoseconds, 20) + "-" + Self.padded(sequence, 8)
    }
    /// Prefix of every cordon record.
    public var cordons: String { prefix + "cordons/" }
    /// One machine's cordon record (present while it is cordoned or draining).
    public func cordon(_ id: String) -> String { cordons + id }
    /// Prefix of every stack's versions.
    public var versions: String { prefix + "versions/" }
    /// Prefix of one stack's versions (they sort by number).
    public func versions(of stack: String) -> String { versions + stack + "/" }
    /// One version of a stack.
    public func version(_ number: Int, of stack: String) -> String { versions(of: stack) + Self.padded(UInt64(max(0, number)), 10) }
    /// Prefix of every rollout record.
    public var rollouts: String { prefix + "rollouts/" }
    /// One stack's rollout record.
    public func rollout(_ stack: String) -> String { rollouts + stack }
    /// Prefix of every promotion.
    public var promotions: String { prefix + "promotions/" }
    /// The spec revision of a stack whose canaries were promoted.
    public func promotion(_ stack: String) -> String { promotions + stack }
    /// Prefix of every reschedule record.
    public var reschedules: String { prefix + "reschedules/" }
    /// The moves of one instance for failing (``RescheduleRecord``).
    public func reschedule(_ instance: String) -> String { reschedules + instance }
    /// Prefix of every API token.
    public var tokens: String { prefix + "tokens/" }
    /// One API token's record.
    public func token(_ name: String) -> String { tokens + name }
    /// The cluster CA's certificate (PEM): the store belongs to the cluster of that CA.
    public var clusterCA: String { prefix + "pki/ca" }
    /// Election prefix for the controller's leader.
    public var leader: String { prefix + "leader" }

    /// The part of `key` after `base`, or nil when `key` is not under it.
    public func suffix(of key: String, under base: String) -> String? {
        key.hasPrefix(base) ? String(key.dropFirst(base.count)) : nil
    }

    private static func padded(_ value: UInt64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
