import FlotillaModel

/// `GET /v1/status`: every stack and every instance the cluster runs or should run.
public struct StatusReport: Sendable, Hashable, Codable {
    /// Store revision the cluster was read at.
    public var revision: Int64
    /// Stacks (all of them, or the one asked for), by name.
    public var stacks: [StackSummary]
    /// Instances, by name: expected ones, assigned ones (also those being stopped) and unplaced ones.
    public var instances: [InstanceReport]

    /// Creates a report.
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
    /// Instances the current plan wants.
    public var expected: Int
    /// True when the stack is a fleet unit file (it has the file's text).
    public var isUnitFile: Bool

    /// Creates a summary.
    public init(name: String, desired: DesiredState, revision: Int64, scale: Scale, expected: Int, isUnitFile: Bool) {
        self.name = name; self.desired = desired; self.revision = revision; self.scale = scale
        self.expected = expected; self.isUnitFile = isUnitFile
    }
}

/// Where an instance is in placement.
public enum Placement: String, Sendable, Hashable, Codable {
    /// Assigned to a machine.
    case placed
    /// The controller could not place it; ``InstanceReport/pending`` says why.
    case unplaced
    /// Wanted, but neither assigned nor refused yet.
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
    /// True when the current plan wants this instance.
    public var expected: Bool
    /// The machine it is assigned to.
    public var machine: String?
    /// The stack revision its assignment was made from.
    public var specRevision: Int64?
    /// The assignment's fencing token (mod revision of its key).
    public var fencingToken: Int64?
    /// Why it is not placed, when the controller said so.
    public var pending: PendingInfo?
    /// Its units, in the stack's order (empty when unassigned).
    public var units: [UnitReport]

    /// Creates a report.
    public init(instance: String, stack: String, desired: DesiredState, placement: Placement, expected: Bool,
                machine: String? = nil, specRevision: Int64? = nil, fencingToken: Int64? = nil,
                pending: PendingInfo? = nil, units: [UnitReport] = []) {
        self.instance = instance; self.stack = stack; self.desired = desired; self.placement = placement
        self.expected = expected; self.machine = machine; self.specRevision = specRevision
        self.fencingToken = fencingToken; self.pending = pending; self.units = units
    }
}

/// A placement failure as stored at `pending/<instance>`.
public struct PendingInfo: Sendable, Hashable, Codable {
    /// The scheduler's explanation.
    public var reason: String
    /// When the controller decided (seconds since 1970).
    public var at: Double
    /// Mod revision of the record: a record older than an apply is about the previous spec.
    public var revision: Int64

    /// Creates the info.
    public init(reason: String, at: Double, revision: Int64) {
        self.reason = reason; self.at = at; self.revision = revision
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

    /// Creates a report.
    public init(name: String, hasHealthCheck: Bool, isScheduled: Bool, status: UnitStatus?, current: Bool) {
        self.name = name; self.hasHealthCheck = hasHealthCheck; self.isScheduled = isScheduled
        self.status = status; self.current = current
    }
}
