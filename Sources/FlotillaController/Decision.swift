import FlotillaModel

/// One write the controller wants made; the shell turns it into a guarded transaction op.
public enum ControllerWrite: Sendable, Hashable {
    /// Put an assignment at `assign/<machine>/<instance>`.
    case assign(Assignment)
    /// Delete `assign/<machine>/<instance>`.
    case unassign(machine: String, instance: String)
    /// Publish what the controller decided for a stack at `decisions/<stack>`.
    case decide(DecisionRecord)
    /// Delete `decisions/<stack>` and `rollouts/<stack>` (the stack is destroyed).
    case forget(stack: String)
    /// Store a stack's rollout record at `rollouts/<stack>`.
    case rollout(RolloutRecord)
    /// Store an instance's moves for failing at `reschedules/<instance>`.
    case reschedule(RescheduleRecord)
    /// Delete `reschedules/<instance>`.
    case forgetReschedule(instance: String)
    /// Store a machine's member record at `members/<id>` (to record when it went down).
    case member(MachineRecord)

    /// The key written, under `layout`.
    public func key(in layout: StoreLayout) -> String {
        switch self {
        case .assign(let a): layout.assignment(machine: a.machine, instance: a.instance)
        case .unassign(let machine, let instance): layout.assignment(machine: machine, instance: instance)
        case .decide(let record): layout.decision(record.stack)
        case .forget(let stack): layout.decision(stack)
        case .rollout(let record): layout.rollout(record.stack)
        case .reschedule(let record): layout.reschedule(record.instance)
        case .forgetReschedule(let instance): layout.reschedule(instance)
        case .member(let record): layout.member(record.id)
        }
    }

    /// True for a write that takes an instance away from a machine (they go first).
    public var isRemoval: Bool {
        if case .unassign = self { return true }
        return false
    }

    /// True for a write of the published decision records (they go last, see ``Decision/writes``).
    public var isDecisionRecord: Bool {
        switch self {
        case .decide, .forget, .rollout, .reschedule, .forgetReschedule, .member: true
        case .assign, .unassign: false
        }
    }
}

/// What one reconcile pass decided: the writes that bring the store to the plan, and an
/// event for every decision with its reason.
public struct Decision: Sendable, Hashable {
    /// Writes, in an order that never runs an instance twice: removals first, then new
    /// assignments, then the decision records of the stacks whose decision changed (so a
    /// record is committed with, or after, every assignment it lists as placed).
    public var writes: [ControllerWrite]
    /// Events to record.
    public var events: [EventRecord]
    /// Every unplaced instance of this pass (not only changed ones) with the scheduler's explanation.
    public var unplaced: [String: String]
    /// Machines this decision treats as dead (it takes instances away from them). The commit
    /// checks they are still unregistered, so a machine that came back in the meantime keeps
    /// its instances and nothing runs twice.
    public var deadMachines: Set<String>
    /// Earlier versions written back because a rollout failed (committed after `writes`, each
    /// in its own transaction that also checks the stack is still at the failed spec).
    public var reverts: [StackRevert]
    /// Stacks whose rollout is active: the loop watches their unit statuses and decides
    /// again within a second even when nothing in the store changed (replaced instances
    /// count as healthy only once `min_healthy_time` has passed).
    public var rolling: Set<String>

    /// Instances left on dead machines the storm guard holds (nothing moved them).
    public var held: Int
    /// A failing instance waits out its reschedule delay: decide again soon.
    public var rescheduling = false

    public init(writes: [ControllerWrite] = [], events: [EventRecord] = [], unplaced: [String: String] = [:],
                deadMachines: Set<String> = [], reverts: [StackRevert] = [], rolling: Set<String> = [], held: Int = 0) {
        self.writes = writes; self.events = events; self.unplaced = unplaced; self.deadMachines = deadMachines
        self.reverts = reverts; self.rolling = rolling; self.held = held
    }

    /// True when nothing needs writing.
    public var isEmpty: Bool { writes.isEmpty && reverts.isEmpty }

    /// New assignments, for the placements counter.
    public var placements: Int { writes.count { if case .assign = $0 { true } else { false } } }
}

/// A stack record written back by the controller because a rollout of a newer one failed.
public struct StackRevert: Sendable, Hashable {
    /// The record to store, with its new version number.
    public var record: StackRecord
    /// The record it replaces (for the version's one-line change).
    public var previous: StackRecord
    /// Why, stored in the version (`automatic revert to version 3 (…)`).
    public var origin: String
    /// The mod revision `stacks/<name>` must still have; otherwise someone applied meanwhile
    /// and the revert is dropped.
    public var expectedRevision: Int64

    public init(record: StackRecord, previous: StackRecord, origin: String, expectedRevision: Int64) {
        self.record = record; self.previous = previous; self.origin = origin; self.expectedRevision = expectedRevision
    }
}
