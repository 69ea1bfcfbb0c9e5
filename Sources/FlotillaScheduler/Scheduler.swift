import FlotillaModel

/// The pure scheduler: a plan from a cluster snapshot, stacks and current assignments.
///
/// Ordering contract: machines are considered sorted by ID, instances by stack (targets of
/// `machineOf` first, then global stacks, then by name) and index; the only randomness is a
/// ``SeededRandom`` seeded with ``SchedulingRequest/seed`` and drawn in that order, so the same
/// request always gives the same plan.
public enum Scheduler {
    /// Computes a plan. Deterministic for a given request (including its seed).
    ///
    /// Valid assignments are kept (re-planning an unchanged cluster gives only `keep`), unwanted
    /// ones stopped, invalid ones moved (exclusive instances on a live machine are stopped and
    /// placed by the next pass), and new instances placed on the best of a sample of feasible
    /// machines; an instance that fits nowhere gets a ``PlacementFailure`` saying why.
    public static func plan(_ request: SchedulingRequest) -> Plan {
        var pass = SchedulingPass(request)
        return pass.run(request.assignments)
    }
}
