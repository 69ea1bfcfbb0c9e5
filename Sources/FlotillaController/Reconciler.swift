import FlotillaModel
import FlotillaScheduler

/// The controller's pure core: from the cluster as stored to the writes that carry out the
/// scheduler's plan, with an event for each decision and, per stack, the decision record
/// the API reads (written only when it changed).
///
/// Level-triggered: it looks only at the state it is given, so running it again on the state
/// its writes produced decides nothing. Time and randomness come in as arguments.
public enum Reconciler {
    /// Inputs besides the state.
    public struct Options: Sendable, Hashable {
        /// The leader's machine ID, recorded as the source of events.
        public var leader: String
        /// Now, seconds since 1970 (event times, and since when an instance is unplaced).
        public var now: Double
        /// How the scheduler ranks machines.
        public var strategy: ScoringStrategy
        /// Seed for the scheduler's sampling.
        public var seed: UInt64
        /// The key layout writes are ordered by (the controller's configured one).
        public var layout: StoreLayout
        /// Dead machines whose instances stay assigned to them for now (``StormGuard/held``).
        public var held: Set<String>

        /// Creates options.
        public init(leader: String, now: Double, strategy: ScoringStrategy = .binpack, seed: UInt64 = 0,
                    layout: StoreLayout = StoreLayout(), held: Set<String> = []) {
            self.leader = leader; self.now = now; self.strategy = strategy; self.seed = seed; self.layout = layout
            self.held = held
        }
    }

    /// Decides what to write so the store matches a fresh plan for `state`.
    public static func reconcile(_ state: ClusterState, options: Options) -> Decision {
        let reschedule = RescheduleStep(state: state, now: options.now).decide()
        var request = request(for: state, options: options)
        request.avoid = reschedule.avoid
        let plan = Scheduler.plan(request)
        var builder = DecisionBuilder(state: state, options: options)
        for action in plan.actions { builder.apply(action) }
        for failure in plan.failures { builder.record(failure) }
        builder.roll()
        builder.reschedule(reschedule)
        return builder.decision
    }

    /// The scheduling request for `state`: live machines (cordoned or draining as their cordon
    /// records say), plus the machines that still hold assignments but whose lease is gone
    /// (marked dead, so their instances move).
    public static func request(for state: ClusterState, options: Options) -> SchedulingRequest {
        var machines = state.machines.map { record in
            MachineState(machine: record.machine, cordoned: state.cordons[record.id] != nil,
                         draining: state.cordons[record.id]?.draining ?? false)
        }
        let live = Set(state.machines.map(\.id))
        let orphaned = Set(state.assignments.values.map(\.assignment.machine)).subtracting(live)
        for id in orphaned.sorted() {
            machines.append(MachineState(machine: Machine(id: id, capacity: .zero), alive: false))
        }
        let stacks = state.stacks.values.filter { $0.record.desired != .inactive }
            .map(\.record.spec).sorted { $0.name < $1.name }
        let assignments = state.assignments.mapValues(\.assignment.machine)
        return SchedulingRequest(cluster: ClusterSnapshot(machines: machines), stacks: stacks,
                                 assignments: assignments, strategy: options.strategy, seed: options.seed)
    }
}
