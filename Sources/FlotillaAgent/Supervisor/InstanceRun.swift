import FlotillaModel
import FlotillaNetwork

/// One instance on this machine: the assignment it runs and its units.
struct InstanceRun: Sendable {
    /// What the instance should be doing.
    enum Target: Sendable, Hashable {
        /// Run its units (`desired: launched`).
        case run
        /// Keep it placed with its units stopped (`desired: loaded`).
        case hold
        /// Stop its units, then forget it (no longer assigned here).
        case remove
        /// Stop its units, then run this assignment instead (new spec revision or desired state).
        case replace(Assignment)
        /// Kept aside while the run that replaces it starts (``Supervisor/startBeside(_:_:now:)``):
        /// stop its units once that run is up or failed, then forget it.
        case retire
    }

    var assignment: Assignment
    var target: Target
    /// Units by name.
    var units: [String: UnitRun]
    /// Unit names in spec order.
    var order: [String]
    /// Distinguishes this run's cgroups from those of an earlier run of the same instance
    /// that may still be waiting for removal.
    var serial: String
    /// For a run kept aside (``Target/retire``): when it stops (see `Supervisor+Retire`).
    var retirement: Retirement?
    /// Its overlay namespace and address (`network: overlay`), made before its first unit
    /// starts and removed when the run is forgotten; unit restarts keep it.
    var network: InstanceAttachment?

    /// When a run kept aside stops: once its successor has been up for ``upFor`` seconds (up
    /// since ``upSince``), at the latest at ``by`` (wall clock).
    struct Retirement: Sendable, Hashable {
        var upFor: Double
        var by: Double
        var upSince: Double?
    }

    /// A fresh run of `assignment`: every unit pending.
    init(_ assignment: Assignment, now: Double) {
        self.assignment = assignment
        self.target = assignment.desired == .launched ? .run : .hold
        self.order = assignment.units.map(\.name)
        self.serial = String(Int64(now * 1000), radix: 36)
        self.units = Dictionary(assignment.units.map { ($0.name, UnitRun(spec: $0, now: now)) }, uniquingKeysWith: { first, _ in first })
    }

    /// True when no unit has a process and none waits to restart.
    var isDown: Bool { units.values.allSatisfy(\.isDown) }
}

/// One unit of an instance: its lifecycle and the handles of its processes.
struct UnitRun: Sendable {
    var lifecycle: UnitLifecycle
    /// The last main process started or adopted (kept after it ended, to sweep its group).
    var main: ProcessHandle?
    /// The last control process started.
    var control: ProcessHandle?
    var cgroup: CgroupPlacement?
    /// Stopped by ``Supervisor/fence()``; stays down until the fence is lifted.
    var fencedOut = false
    /// What was last published, to publish changes only.
    var published: UnitStatus?
    /// The run record last written for it (a save that would write the same is skipped).
    var saved: UnitRunRecord?
    /// The health verdict while running with a check (see `Supervisor+Health`).
    var health: HealthState?
    /// Failed checks in a row that count (after the grace); at the spec's `healthFailures` the
    /// unit is stopped as unhealthy.
    var failedChecks = 0
    /// When the next probe starts.
    var nextProbe: Double?
    /// When a running `exec` probe is killed.
    var probeDeadline: Double?
    /// The running `exec` probe.
    var probe: ProcessHandle?
    /// Tells the current probe's verdict from stale ones.
    var probeSerial = 0
    /// A timer-driven unit (``UnitSpec/timer``): when it runs next (nil before the timer
    /// started here, or when nothing triggers again), when its last run started, and whether
    /// a run is due (set when the timer fires, cleared when the unit starts).
    var nextRun: Double?
    var lastRun: Double?
    var timerStarted = false
    var due = false

    init(spec: UnitSpec, now: Double) {
        lifecycle = UnitLifecycle(spec: spec, now: now)
    }

    var spec: UnitSpec { lifecycle.spec }

    /// Down: no process, not waiting to restart.
    var isDown: Bool {
        !lifecycle.hasProcesses && [.pending, .exited, .failed].contains(lifecycle.state)
    }

    /// A pending run of the same unit that keeps the cgroup and what was published.
    func fresh(now: Double) -> UnitRun {
        var fresh = UnitRun(spec: spec, now: now)
        fresh.cgroup = cgroup
        fresh.published = published
        fresh.lastRun = lastRun
        return fresh
    }

    /// Up or on its way: what units listed in `after` wait for.
    var hasStarted: Bool { lifecycle.state == .running || lifecycle.state == .exited }
}
