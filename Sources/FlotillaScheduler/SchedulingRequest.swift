import FlotillaModel

/// A machine as the scheduler sees it.
public struct MachineState: Sendable, Hashable {
    /// Identity, metadata and capacity.
    public var machine: Machine
    /// False once the machine's lease expired: nothing new goes there and its instances move.
    public var alive: Bool
    /// Resources used by things Flotilla does not place (the OS, other software).
    public var reserved: Resources
    /// Cordoned: no new instance goes there (a `global` stack's own instance excepted); the
    /// instances there stay.
    public var cordoned: Bool
    /// Draining (implies cordoned): its instances leave (exclusive ones stop first), except a
    /// `global` stack's, which belongs to the machine.
    public var draining: Bool

    /// Creates a machine state.
    public init(machine: Machine, alive: Bool = true, reserved: Resources = .zero, cordoned: Bool = false, draining: Bool = false) {
        self.machine = machine
        self.alive = alive
        self.reserved = reserved
        self.cordoned = cordoned || draining
        self.draining = draining
    }
}

/// Every machine of the cluster at one moment.
public struct ClusterSnapshot: Sendable, Hashable {
    /// The machines, in any order (the scheduler sorts by ID).
    public var machines: [MachineState]

    public init(machines: [MachineState]) { self.machines = machines }
}

/// How the scheduler ranks machines that fit.
public enum ScoringStrategy: String, Sendable, Hashable, CaseIterable {
    /// Prefer the fullest machine that fits (fewer machines used; Nomad's default).
    case binpack
    /// Prefer the emptiest machine (even load; Kubernetes' default).
    case spread
}

/// Everything one scheduling pass needs. The pass is a pure function of this value.
public struct SchedulingRequest: Sendable {
    /// The machines.
    public var cluster: ClusterSnapshot
    /// Desired stacks.
    public var stacks: [StackSpec]
    /// Current assignments: instance name → machine ID.
    public var assignments: [String: String]
    /// Ranking of fitting machines.
    public var strategy: ScoringStrategy
    /// Seed of the random source; the same request and seed give the same plan.
    public var seed: UInt64
    /// Machines an instance must not run on (it failed there: a stack's `reschedule:`):
    /// instance name → machine IDs. An instance on one of them moves.
    public var avoid: [String: Set<String>]

    public init(cluster: ClusterSnapshot, stacks: [StackSpec], assignments: [String: String] = [:],
                strategy: ScoringStrategy = .binpack, seed: UInt64 = 0, avoid: [String: Set<String>] = [:]) {
        self.cluster = cluster
        self.stacks = stacks
        self.assignments = assignments
        self.strategy = strategy
        self.seed = seed
        self.avoid = avoid
    }
}
