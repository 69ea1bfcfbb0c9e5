import FlotillaModel

/// Everything the controller reads before it decides, all from one store revision.
public struct ClusterState: Sendable, Hashable {
    /// A stack record with the mod revision of its key (the spec revision).
    public struct StoredStack: Sendable, Hashable {
        /// The record.
        public var record: StackRecord
        /// Mod revision of `stacks/<name>`.
        public var revision: Int64
        /// Creates a stored stack.
        public init(record: StackRecord, revision: Int64) { self.record = record; self.revision = revision }
    }

    /// An assignment with the mod revision of its key (its fencing token).
    public struct StoredAssignment: Sendable, Hashable {
        /// The record (``Assignment/fencingToken`` already filled in from `revision`).
        public var assignment: Assignment
        /// Mod revision of `assign/<machine>/<instance>`.
        public var revision: Int64
        /// Creates a stored assignment; sets the record's fencing token to `revision`.
        public init(assignment: Assignment, revision: Int64) {
            var filled = assignment
            filled.fencingToken = revision
            self.assignment = filled
            self.revision = revision
        }
    }

    /// A version record with the spec revision it was written at.
    public struct StoredVersion: Sendable, Hashable {
        public var version: StackVersion
        public var revision: Int64
        public init(version: StackVersion, revision: Int64) { self.version = version; self.revision = revision }
    }

    /// Stacks whose instances a rollout may be replacing: an instance assigned from another
    /// spec revision than the stored one, or a rollout record still active. The reader loads
    /// their versions and statuses.
    public var rollingStacks: [String] {
        // Active rollouts, and failed ones whose revert may still have to be written.
        var names = Set(rollouts.values.filter { $0.isActive || ($0.revertedTo != nil && stacks[$0.stack]?.revision == $0.specRevision) }
            .map(\.stack))
        for stored in assignments.values where stacks[stored.assignment.stack].map({ $0.revision != stored.assignment.specRevision }) ?? false {
            names.insert(stored.assignment.stack)
        }
        return names.filter { stacks[$0] != nil }.sorted()
    }

    /// Stacks whose failing instances may move (a `reschedule:` policy) and, while a machine
    /// drains, stacks with a disruption budget: the reader loads their unit statuses.
    public var reschedulingStacks: [String] {
        let draining = cordons.values.contains(where: \.draining)
        return stacks.filter { $0.value.record.spec.reschedule != nil || (draining && $0.value.record.spec.disruption != nil) }
            .keys.sorted()
    }

    /// Registered machines: those whose lease is alive (their key exists).
    public var machines: [MachineRecord]
    /// Stacks by name.
    public var stacks: [String: StoredStack]
    /// Assignments by instance. An instance has at most one (the controller keeps it so).
    public var assignments: [String: StoredAssignment]
    /// The controller's published decisions by stack, as last written.
    public var decisions: [String: DecisionRecord]
    /// Cordoned and draining machines by ID.
    public var cordons: [String: CordonRecord] = [:]
    /// The values of every `env_from` entry of the stacks (``StoreEnvironment``): entry →
    /// key → value, at the same revision.
    public var storeValues: [String: [String: String]]
    /// Rollout records by stack (``RolloutRecord``).
    public var rollouts: [String: RolloutRecord] = [:]
    /// Every machine that ever registered and was not forgotten (`members/<id>`), by ID.
    public var members: [String: MachineRecord] = [:]
    /// The lease each registered machine's record is attached to, by machine ID.
    public var machineLeases: [String: Int64] = [:]
    /// Reschedule records by instance (``RescheduleRecord``).
    public var reschedules: [String: RescheduleRecord] = [:]
    /// Per stack, the spec revision whose canaries `flotilla promote` released.
    public var promotions: [String: Int64] = [:]
    /// For stacks with an outdated instance or an active rollout only: their stored versions,
    /// oldest first, with the spec revision each was written at.
    public var versions: [String: [StoredVersion]] = [:]
    /// For the same stacks and for stacks with a `reschedule:` policy only: the unit statuses
    /// of their instances, by instance.
    public var statuses: [String: [UnitStatus]] = [:]
    /// The store revision the state was read at.
    public var revision: Int64

    public init(machines: [MachineRecord] = [], stacks: [String: StoredStack] = [:],
                assignments: [String: StoredAssignment] = [:], decisions: [String: DecisionRecord] = [:],
                storeValues: [String: [String: String]] = [:], revision: Int64 = 0) {
        self.machines = machines; self.stacks = stacks; self.assignments = assignments
        self.decisions = decisions; self.storeValues = storeValues; self.revision = revision
    }
}
