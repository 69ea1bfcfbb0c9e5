import FlotillaModel

/// One write the controller wants made; the shell turns it into a guarded transaction op.
public enum ControllerWrite: Sendable, Hashable {
    /// Put an assignment at `assign/<machine>/<instance>`.
    case assign(Assignment)
    /// Delete `assign/<machine>/<instance>`.
    case unassign(machine: String, instance: String)
    /// Put why an instance is not placed at `pending/<instance>`.
    case pending(PendingRecord)
    /// Delete `pending/<instance>`.
    case clearPending(instance: String)

    /// The key written, under `layout`.
    public func key(in layout: StoreLayout) -> String {
        switch self {
        case .assign(let a): layout.assignment(machine: a.machine, instance: a.instance)
        case .unassign(let machine, let instance): layout.assignment(machine: machine, instance: instance)
        case .pending(let p): layout.pending(p.instance)
        case .clearPending(let instance): layout.pending(instance)
        }
    }
}

/// What one reconcile pass decided: the writes that bring the store to the plan, and an
/// event for every decision with its reason.
public struct Decision: Sendable, Hashable {
    /// Writes, in an order that never runs an instance twice: removals first, then new
    /// assignments, then placement-failure bookkeeping.
    public var writes: [ControllerWrite]
    /// Events to record.
    public var events: [EventRecord]
    /// Instances that could not be placed, with the scheduler's explanation.
    public var unplaced: [String: String]
    /// Machines this decision treats as dead (it takes instances away from them). The commit
    /// checks they are still unregistered, so a machine that came back in the meantime keeps
    /// its instances and nothing runs twice.
    public var deadMachines: Set<String>

    /// Creates a decision.
    public init(writes: [ControllerWrite] = [], events: [EventRecord] = [], unplaced: [String: String] = [:],
                deadMachines: Set<String> = []) {
        self.writes = writes; self.events = events; self.unplaced = unplaced; self.deadMachines = deadMachines
    }

    /// True when nothing needs writing.
    public var isEmpty: Bool { writes.isEmpty }
}
