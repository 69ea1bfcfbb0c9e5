/// The controller's decision that one instance runs on one machine, stored at
/// `assign/<machine>/<instance>`.
///
/// It carries everything the agent needs to run the instance, so an agent watches only its
/// own `assign/<machine>/` prefix and never reads the rest of the cluster.
public struct Assignment: Sendable, Hashable, Codable {
    /// Record schema; readers ignore fields they don't know.
    public var schema: Int = 1
    /// The instance, e.g. `lamp@3`.
    public var instance: String
    /// The stack it belongs to.
    public var stack: String
    /// The machine that runs it.
    public var machine: String
    /// The units to run, with instance specifiers already expanded.
    public var units: [UnitSpec]
    /// Revision of the stack record this assignment was made from.
    public var specRevision: Int64
    /// The fencing token: the store revision of the transaction that wrote the assignment
    /// (its key's mod revision). The controller cannot know it before committing, so it
    /// stores 0 and readers fill it in from the key's mod revision. A unit run with an older
    /// token than the current assignment's is stale and must not act.
    public var fencingToken: Int64
    /// `launched` runs the units; `loaded` keeps them placed but stopped.
    public var desired: DesiredState
    /// The stack's `disconnect.stop_after`, seconds: how long after the machine can no longer
    /// renew its lease its non-exclusive units are stopped; nil: they keep running.
    public var stopAfterDisconnect: Double?
    /// Set on a rollout's replacement when its machine has room for both copies and no unit
    /// is exclusive or reserves a host port: the agent starts this run beside the instance's
    /// current one and stops that one once this one has been up long enough (or has failed,
    /// or at the latest deadline). nil: stop first.
    public var startFirst: Overlap?
    /// The stack's `network:` mode; nil: `host`.
    public var network: NetworkMode?

    public init(instance: String, stack: String, machine: String, units: [UnitSpec], specRevision: Int64,
                fencingToken: Int64, desired: DesiredState = .launched) {
        self.instance = instance; self.stack = stack; self.machine = machine; self.units = units
        self.specRevision = specRevision; self.fencingToken = fencingToken; self.desired = desired
    }
}

/// What the user wants of a stack (fleet's words).
public enum DesiredState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Placed and running.
    case launched
    /// Placed, not running.
    case loaded
    /// Stored, not placed.
    case inactive
}

/// How long a rollout's new run and the run it replaces overlap (``Assignment/startFirst``).
public struct Overlap: Sendable, Hashable, Codable {
    /// Seconds the new run must have been up — every unit running (healthy, when it has a
    /// check) or exited — before the old one stops: the stack's `min_healthy_time`.
    public var upFor: Double
    /// Seconds after the new run started when the old one stops whatever the new one does:
    /// the stack's `healthy_deadline`.
    public var atMost: Double

    public init(upFor: Double, atMost: Double) { self.upFor = upFor; self.atMost = atMost }
}
