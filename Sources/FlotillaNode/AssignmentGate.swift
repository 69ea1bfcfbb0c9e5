import FlotillaAgent
import FlotillaModel

/// Hands assignment sets to the supervisor in revision order only, so a stale set (an old
/// watch delivery racing a fresh read) can never restart what a newer one stopped.
actor AssignmentGate {
    private let supervisor: Supervisor
    private var revision: Int64 = 0
    private var closed = false

    init(supervisor: Supervisor) { self.supervisor = supervisor }

    /// Applies `assignments` read at `revision` unless something newer was applied already;
    /// returns whether it was applied.
    @discardableResult
    func deliver(_ assignments: [Assignment], at revision: Int64) async -> Bool {
        guard !closed, revision >= self.revision else { return false }
        self.revision = revision
        await supervisor.apply(assignments)
        return true
    }

    /// Stops every unit and ignores assignments from now on (the node is shutting down).
    func close() async {
        closed = true
        await supervisor.apply([])
    }
}
