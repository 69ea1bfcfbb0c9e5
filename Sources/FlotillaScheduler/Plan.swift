import FlotillaModel

/// One decision of a scheduling pass.
public enum PlanAction: Sendable, Hashable {
    /// Start a new instance on a machine.
    case place(instance: String, stack: String, machine: String)
    /// The instance stays where it is (its placement is still valid).
    case keep(instance: String, stack: String, machine: String)
    /// Stop the instance (no longer wanted, or it must leave its machine before it may be
    /// placed again: exclusive instances are never moved while their machine is alive).
    case stop(instance: String, stack: String, machine: String, reason: String)
    /// Start the instance on `to` instead of `from`.
    case move(instance: String, stack: String, from: String, to: String, reason: String)

    /// The instance this action is about.
    public var instance: String {
        switch self {
        case .place(let i, _, _), .keep(let i, _, _), .stop(let i, _, _, _), .move(let i, _, _, _, _): i
        }
    }
}

/// The output of a scheduling pass: actions for every instance, and a failure for every
/// instance that could not be placed.
public struct Plan: Sendable, Hashable {
    /// Actions, sorted by instance name.
    public var actions: [PlanAction]
    /// Instances that could not be placed, sorted by instance name.
    public var failures: [PlacementFailure]

    public init(actions: [PlanAction], failures: [PlacementFailure]) {
        self.actions = actions
        self.failures = failures
    }

    /// Where every instance runs once the plan is carried out: instance → machine ID.
    public var placements: [String: String] {
        var result: [String: String] = [:]
        for action in actions {
            switch action {
            case .place(let i, _, let m), .keep(let i, _, let m): result[i] = m
            case .move(let i, _, _, let to, _): result[i] = to
            case .stop: break
            }
        }
        return result
    }

    /// Number of `place` and `move` actions.
    public var placementCount: Int {
        actions.reduce(0) { n, a in
            switch a { case .place, .move: n + 1; default: n }
        }
    }
}

/// Why no machine fits an instance: how many machines each reason ruled out (each machine is
/// counted once, under the first reason that rules it out, so the counts add up to the total),
/// and for exhausted resources the amount needed and the most that any otherwise suitable
/// machine had free.
public struct PlacementFailure: Sendable, Hashable, CustomStringConvertible {
    /// The instance that was not placed, e.g. `lamp@4`.
    public var instance: String
    /// Its stack.
    public var stack: String
    /// Machines in the cluster.
    public var machinesTotal: Int
    /// Counts per reason, largest first (ties by text).
    public var reasons: [ReasonCount]

    /// Creates a failure; `reasons` is sorted.
    public init(instance: String, stack: String, machinesTotal: Int, reasons: [ReasonCount]) {
        self.instance = instance
        self.stack = stack
        self.machinesTotal = machinesTotal
        self.reasons = reasons.sorted { $0.count != $1.count ? $0.count > $1.count : $0.reason.text < $1.reason.text }
    }

    /// `0/12 machines fit lamp@4: 7 memory exhausted (needs 512Mi, most free 256Mi), 3 conflict with lamp@*, 2 metadata disk=ssd not matched`.
    public var description: String {
        let head = "0/\(machinesTotal) machines fit \(instance)"
        if reasons.isEmpty { return machinesTotal == 0 ? "\(head): the cluster has no machines" : head }
        return head + ": " + reasons.map { "\($0.count) \($0.reason.text)" }.joined(separator: ", ")
    }
}

/// A reason and how many machines it ruled out.
public struct ReasonCount: Sendable, Hashable {
    /// The reason.
    public var reason: FilterReason
    /// Machines it ruled out.
    public var count: Int

    public init(_ reason: FilterReason, _ count: Int) {
        self.reason = reason
        self.count = count
    }
}

/// Why one machine cannot take an instance.
public enum FilterReason: Sendable, Hashable {
    /// The machine's lease expired.
    case machineDown
    /// The machine is cordoned or draining (`flotilla machine cordon|drain`).
    case machineCordoned
    /// The instance failed on this machine before and is being rescheduled (`reschedule:`).
    case failedBefore
    /// `MachineID=` / `machine:` names another machine.
    case machineID(String)
    /// Required metadata missing (`disk=ssd region=eu|us`).
    case metadata(String)
    /// The instance must follow another instance that is elsewhere (or not placed).
    case machineOf(String)
    /// A conflict glob matches (either direction).
    case conflict(String)
    /// `spread: machine` and an instance of the same stack is already there.
    case spread(String)
    /// A requested host port is taken.
    case port(Int)
    /// A resource dimension (`cpu`, `memory`, `disk`) is exhausted.
    case exhausted(dimension: String, needs: String, mostFree: String)

    /// The phrase used in ``PlacementFailure/description``.
    public var text: String {
        switch self {
        case .machineDown: "machine down"
        case .machineCordoned: "machine cordoned"
        case .failedBefore: "the instance failed there (reschedule)"
        case .machineID(let id): "not machine \(id)"
        case .metadata(let m): "metadata \(m) not matched"
        case .machineOf(let target): "not the machine of \(target)"
        case .conflict(let pattern): "conflict with \(pattern)"
        case .spread(let stack): "already run \(stack) (spread: machine)"
        case .port(let port): "port \(port) taken"
        case .exhausted(let dimension, let needs, let mostFree): "\(dimension) exhausted (needs \(needs), most free \(mostFree))"
        }
    }
}
