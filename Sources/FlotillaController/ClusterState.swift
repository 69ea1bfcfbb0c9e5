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
    /// The store revision the state was read at.
    public var revision: Int64

    public init(machines: [MachineRecord] = [], stacks: [String: StoredStack] = [:],
                assignments: [String: StoredAssignment] = [:], decisions: [String: DecisionRecord] = [:],
                storeValues: [String: [String: String]] = [:], revision: Int64 = 0) {
        self.machines = machines; self.stacks = stacks; self.assignments = assignments
        self.decisions = decisions; self.storeValues = storeValues; self.revision = revision
    }
}
