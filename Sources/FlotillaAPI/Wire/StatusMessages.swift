import FlotillaModel

/// `GET /v1/status`: every stack and every instance the cluster runs or should run.
public struct StatusReport: Sendable, Hashable, Codable {
    /// Store revision the cluster was read at.
    public var revision: Int64
    /// Stacks (all of them, or the one asked for), by name.
    public var stacks: [StackSummary]
    /// Instances, by name: those the controller's decisions want (placed or unplaced) and
    /// assigned ones (also those being taken away).
    public var instances: [InstanceReport]

    public init(revision: Int64, stacks: [StackSummary], instances: [InstanceReport]) {
        self.revision = revision; self.stacks = stacks; self.instances = instances
    }
}

/// One stored stack.
public struct StackSummary: Sendable, Hashable, Codable {
    /// Stack name.
    public var name: String
    /// What the user wants of it.
    public var desired: DesiredState
    /// Mod revision of `stacks/<name>` (the spec revision assignments refer to).
    public var revision: Int64
    /// `count: N` or `global`.
    public var scale: Scale
    /// Instances the controller's latest decision wants (placed or unplaced).
    public var expected: Int
    /// True when the stack is a fleet unit file (it has the file's text).
    public var isUnitFile: Bool
    /// The spec revision of the controller's latest decision about the stack; nil before its
    /// first one. Less than ``revision``: the controller has not decided about this spec yet.
    public var decidedRevision: Int64?
    /// The stored spec's version number (nil for a record from before versions).
    public var version: Int?
    /// The stack's current or last rollout, as the controller stored it.
    public var rollout: RolloutRecord?
    /// Its instances that moved for failing (`reschedule:`), with their moves; nil when none.
    public var rescheduled: [RescheduleRecord]?

    public init(name: String, desired: DesiredState, revision: Int64, scale: Scale, expected: Int, isUnitFile: Bool,
                decidedRevision: Int64? = nil, version: Int? = nil, rollout: RolloutRecord? = nil,
                rescheduled: [RescheduleRecord]? = nil) {
        self.name = name; self.desired = desired; self.revision = revision; self.scale = scale
        self.expected = expected; self.isUnitFile = isUnitFile; self.decidedRevision = decidedRevision
        self.version = version; self.rollout = rollout; self.rescheduled = rescheduled
    }

    /// True while the controller has not published a decision for the stored spec
    /// ("waiting for the controller").
    public var awaitingController: Bool { (decidedRevision ?? -1) < revision }
}

/// Where an instance is in placement.
public enum Placement: String, Sendable, Hashable, Codable {
    /// Assigned to a machine.
    case placed
    /// The controller could not place it; ``InstanceReport/unplaced`` says why.
    case unplaced
    /// The controller's decision places it, but its assignment is not in the store.
    case scheduling
    /// Assigned, but no longer wanted: the controller is taking it away.
    case leaving
}

/// One instance: where it runs and what its units do.
public struct InstanceReport: Sendable, Hashable, Codable {
    /// Instance name (`lamp@3`).
    public var instance: String
    /// Its stack.
    public var stack: String
    /// Desired state of the stack (`inactive` when the stack is gone).
    public var desired: DesiredState
    /// Placement.
    public var placement: Placement
    /// True when the controller's latest decision about its stack wants this instance.
    public var expected: Bool
    /// The machine it is assigned to.
    public var machine: String?
    /// The stack revision its assignment was made from.
    public var specRevision: Int64?
    /// The assignment's fencing token (mod revision of its key).
    public var fencingToken: Int64?
    /// Why it is unplaced, as the controller published it.
    public var unplaced: UnplacedInfo?
    /// Its units, in the stack's order (empty when unassigned).
    public var units: [UnitReport]

    public init(instance: String, stack: String, desired: DesiredState, placement: Placement, expected: Bool,
                machine: String? = nil, specRevision: Int64? = nil, fencingToken: Int64? = nil,
                unplaced: UnplacedInfo? = nil, units: [UnitReport] = []) {
        self.instance = instance; self.stack = stack; self.desired = desired; self.placement = placement
        self.expected = expected; self.machine = machine; self.specRevision = specRevision
        self.fencingToken = fencingToken; self.unplaced = unplaced; self.units = units
    }
}

/// Why an instance is unplaced, from the controller's record at `decisions/<stack>`.
public struct UnplacedInfo: Sendable, Hashable, Codable {
    /// The scheduler's explanation, for people.
    public var reason: String
    /// Machines ruled out per reason, largest first.
    public var reasons: [UnplacedInstance.ReasonCount]
    /// Since when the controller finds it unplaced for this reason (seconds since 1970).
    public var since: Double
    /// The spec revision the controller decided from: older than an apply means the reason
    /// is about the previous spec.
    public var specRevision: Int64

    /// Creates the info.
    public init(reason: String, reasons: [UnplacedInstance.ReasonCount] = [], since: Double, specRevision: Int64) {
        self.reason = reason; self.reasons = reasons; self.since = since; self.specRevision = specRevision
    }
}

/// One unit of an assigned instance.
public struct UnitReport: Sendable, Hashable, Codable {
    /// Unit name inside the instance.
    public var name: String
    /// True when the unit has a health check (it counts as up only once healthy).
    public var hasHealthCheck: Bool
    /// True for a scheduled unit (`schedule:` or a `.timer`): it runs now and then.
    public var isScheduled: Bool
    /// What the agent last reported, if anything.
    public var status: UnitStatus?
    /// True when `status` belongs to the current assignment (its fencing token is the
    /// assignment's); false for a report from before the last update.
    public var current: Bool

    public init(name: String, hasHealthCheck: Bool, isScheduled: Bool, status: UnitStatus?, current: Bool) {
        self.name = name; self.hasHealthCheck = hasHealthCheck; self.isScheduled = isScheduled
        self.status = status; self.current = current
    }
}
