import FlotillaModel

/// One write the controller wants made; the shell turns it into a guarded transaction op.
public enum ControllerWrite: Sendable, Hashable {
    /// Put an assignment at `assign/<machine>/<instance>`.
    case assign(Assignment)
    /// Delete `assign/<machine>/<instance>`.
    case unassign(machine: String, instance: String)
    /// Publish what the controller decided for a stack at `decisions/<stack>`.
    case decide(DecisionRecord)
    /// Delete `decisions/<stack>` (the stack is destroyed).
    case forget(stack: String)

    /// The key written, under `layout`.
    public func key(in layout: StoreLayout) -> String {
        switch self {
        case .assign(let a): layout.assignment(machine: a.machine, instance: a.instance)
        case .unassign(let machine, let instance): layout.assignment(machine: machine, instance: instance)
        case .decide(let record): layout.decision(record.stack)
        case .forget(let stack): layout.decision(stack)
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
        case .decide, .forget: true
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

    public init(writes: [ControllerWrite] = [], events: [EventRecord] = [], unplaced: [String: String] = [:],
                deadMachines: Set<String> = []) {
        self.writes = writes; self.events = events; self.unplaced = unplaced; self.deadMachines = deadMachines
    }

    /// True when nothing needs writing.
    public var isEmpty: Bool { writes.isEmpty }

    /// New assignments, for the placements counter.
    public var placements: Int { writes.count { if case .assign = $0 { true } else { false } } }
}
