import FlotillaModel

/// The pure scheduler: a plan from a cluster snapshot, stacks and current assignments.
public enum Scheduler {
    /// Computes a plan. Deterministic for a given request (including its seed).
    public static func plan(_ request: SchedulingRequest) -> Plan {
        Plan(actions: [], failures: [])
    }
}
