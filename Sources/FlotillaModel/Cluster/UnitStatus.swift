/// What one supervised unit is doing on its machine, as written to `status/<instance>/<unit>`.
///
/// The agent that runs the unit is the only writer; the record is attached to the machine's
/// lease, so it disappears with the machine.
public struct UnitStatus: Sendable, Hashable, Codable {
    /// Record schema; readers ignore fields they don't know, writers bump this on breaking changes.
    public var schema: Int = 1
    /// The instance, e.g. `lamp@3`.
    public var instance: String
    /// The unit's name inside the instance, e.g. `mysql`.
    public var unit: String
    /// The machine running it.
    public var machine: String
    /// Where the unit is in its life.
    public var state: UnitState
    /// Main process ID while one runs.
    public var pid: Int32?
    /// Exit code of the last main process run, if it exited normally.
    public var exitCode: Int32?
    /// Signal that ended the last main process run, if it was killed.
    public var exitSignal: Int32?
    /// Automatic restarts since the instance was assigned here.
    public var restarts: Int
    /// Result of the health check, when the unit has one.
    public var health: HealthState?
    /// The last thing that went wrong, in words ("ExecStartPre exited 1", "exec: no such file").
    public var lastError: String?
    /// Something the unit runs without, in words ("memory limit not enforced: no memory
    /// cgroup controller on this machine"); nil when nothing is missing.
    public var warning: String?
    /// When `state` was entered (seconds since 1970).
    public var since: Double
    /// The assignment's fencing token this run belongs to.
    public var fencingToken: Int64
    /// A timer-driven unit: when its last run started and when the next is due (seconds since
    /// 1970); nil for other units, and before the first run / when nothing triggers again.
    public var lastRun: Double?
    public var nextRun: Double?
    /// The stack the instance belongs to (nil in records written before it was recorded).
    public var stack: String?
    /// The instance's overlay address (a stack with `network: overlay`) while it has one.
    public var address: String?
    /// The unit's named ports, with the address (nil without one, or without named ports).
    public var ports: [NamedPort]?

    /// Creates a status record.
    public init(instance: String, unit: String, machine: String, state: UnitState, pid: Int32? = nil,
                exitCode: Int32? = nil, exitSignal: Int32? = nil, restarts: Int = 0, health: HealthState? = nil,
                lastError: String? = nil, warning: String? = nil, since: Double, fencingToken: Int64,
                lastRun: Double? = nil, nextRun: Double? = nil, stack: String? = nil, address: String? = nil,
                ports: [NamedPort]? = nil) {
        self.instance = instance; self.unit = unit; self.machine = machine; self.state = state
        self.pid = pid; self.exitCode = exitCode; self.exitSignal = exitSignal; self.restarts = restarts
        self.health = health; self.lastError = lastError; self.warning = warning; self.since = since
        self.fencingToken = fencingToken; self.lastRun = lastRun; self.nextRun = nextRun
        self.stack = stack; self.address = address; self.ports = ports
    }
}

/// The life of a supervised unit (systemd's words where they exist).
public enum UnitState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Assigned, not started yet (waiting for `after:` units or for the supervisor).
    case pending
    /// ExecStartPre/ExecStart running; for oneshot, until the main process exits.
    case starting
    /// The main process runs (or a oneshot with RemainAfterExit finished well).
    case running
    /// Waiting RestartSec (with back-off) before the next start.
    case restarting
    /// ExecStop / SIGTERM / SIGKILL in progress.
    case stopping
    /// Stopped on purpose, or a oneshot that finished well.
    case exited
    /// Gave up: a start command failed, or the process exited badly with no restart left.
    case failed

    /// True for the states a unit stays in without the supervisor acting.
    public var isSettled: Bool { self == .running || self == .exited || self == .failed }
}

/// Result of a unit's health check.
public enum HealthState: String, Sendable, Hashable, Codable {
    /// Not checked yet.
    case unknown
    /// The last check passed.
    case healthy
    /// The last check failed.
    case unhealthy
}
