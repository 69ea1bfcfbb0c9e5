import FlotillaModel

/// The unit state machine: systemd `[Service]` semantics as a pure function of events and
/// time. No IO, no clock: `now` (seconds) comes with every event.
///
/// Ordering contract for the shell that drives it:
/// 1. Call ``handle(_:now:)`` and execute the returned actions in order.
/// 2. Answer every `.spawn` action at once, before any other event, with `.spawned` or
///    `.spawnFailed` for the same role (feed those back and execute their actions too).
/// 3. Report each process end with `.exited(pid:_:)`; ends of pids the lifecycle no longer
///    tracks are ignored, so late or duplicate reports are harmless.
/// 4. After every call re-read ``deadline``; deliver `.tick` at or after it.
package struct UnitLifecycle: Sendable {
    /// The unit being run.
    package let spec: UnitSpec
    /// Where the run is (finer than ``state``).
    package internal(set) var phase: Phase = .dead
    /// Main process ID while one runs.
    package internal(set) var main: Int32?
    /// Control process ID (an `ExecStartPre`/`Post`/`Stop`/`StopPost` command) while one runs.
    package internal(set) var control: Int32?
    /// When the lifecycle wants a `.tick`; nil when it waits for nothing but events.
    package internal(set) var deadline: Double?
    /// Automatic restarts so far.
    package internal(set) var restarts = 0
    /// How the last main process ended.
    package internal(set) var lastExit: ProcessExit?
    /// The last thing that went wrong, in words.
    package internal(set) var lastError: String?
    /// When ``state`` was entered.
    package internal(set) var since: Double

    var result: RunResult = .success
    var stopRequested = false
    var fenced = false
    var startedOnce = false
    /// Consecutive automatic restarts without a run of at least ``Timing/longRun``.
    var streak = 0
    /// When the current run's first main process started.
    var runStarted: Double?
    /// The main process ended while `ExecStartPost` commands still ran.
    var earlyMainExit: ProcessExit?
    /// The control command running now.
    var controlCommand: ExecCommand?

    /// A unit that has not started (``state`` is `pending`).
    package init(spec: UnitSpec, now: Double) {
        self.spec = spec
        self.since = now
    }

    /// Where a run is. `start*`/`stop*` carry the index of the command running.
    package enum Phase: Sendable, Hashable {
        /// Not running: never started, stopped, or a oneshot that finished.
        case dead
        /// Not running, and it ended badly with no restart left.
        case failed
        /// `ExecStartPre[i]` runs.
        case startPre(Int)
        /// `ExecStart[i]` runs (oneshot and forking wait for it to exit).
        case startMain(Int)
        /// `ExecStartPost[i]` runs.
        case startPost(Int)
        /// Up: the main process runs, or a oneshot with `RemainAfterExit` finished well.
        case running
        /// `ExecStop[i]` runs.
        case stop(Int)
        /// `KillSignal` was sent to the unit; waiting for its processes to end.
        case stopSignal
        /// SIGKILL was sent to the unit; waiting for its processes to end.
        case stopKill
        /// `ExecStopPost[i]` runs.
        case stopPost(Int)
        /// Waiting `RestartSec` (with back-off) before starting again.
        case autoRestart
    }

    /// What the unit is doing, in the words of ``UnitStatus``.
    package var state: UnitState {
        switch phase {
        case .dead: startedOnce ? .exited : .pending
        case .failed: .failed
        case .startPre, .startMain, .startPost: .starting
        case .running: .running
        case .stop, .stopSignal, .stopKill, .stopPost: .stopping
        case .autoRestart: .restarting
        }
    }

    /// True while any process of the run is known to be alive.
    package var hasProcesses: Bool { main != nil || control != nil }

    /// True when the oneshot/forking way applies: the start completes when `ExecStart` exits.
    var waitsForMainExit: Bool { spec.type == .oneshot || spec.type == .forking }

    /// Feeds one event; returns the actions to execute, in order.
    package mutating func handle(_ event: UnitEvent, now: Double) -> [UnitAction] {
        var step = Step(now: now)
        let before = state
        switch event {
        case .start:
            if phase == .dead || phase == .failed { streak = 0 }
            start(&step)
        case .stop: stop(&step)
        case .fence: fence(&step)
        case .spawned(.main, let pid): mainSpawned(pid, &step)
        case .spawned(.control, let pid): control = pid
        case .spawnFailed(.main, let reason):
            lastExit = .exited(203)   // systemd's status for a command that could not be run
            mainEnded(.exited(203), reason: reason, &step)
        case .spawnFailed(.control, let reason): controlEnded(.exited(203), reason: reason, &step)
        case .exited(let pid, let status):
            if pid == control {
                control = nil
                controlEnded(status, reason: nil, &step)
            } else if pid == main {
                main = nil
                lastExit = status
                mainEnded(status, reason: nil, &step)
            }
        case .tick:
            if let deadline, now >= deadline {
                self.deadline = nil
                timedOut(&step)
            }
        case .unhealthy(let why):
            if phase == .running {
                fail(.watchdog, why, &step)
                enterStop(0, &step)
            }
        }
        if state != before { since = now }
        return step.actions
    }

    /// The actions one event produces, and the time it happened.
    struct Step {
        let now: Double
        var actions: [UnitAction] = []
    }

    /// Records the first failure of a run; later ones don't change it (systemd's rule).
    mutating func fail(_ result: RunResult, _ message: String, _ step: inout Step) {
        if self.result == .success { self.result = result }
        lastError = message
        step.actions.append(.note(message))
    }
}

/// What happens to a unit.
package enum UnitEvent: Sendable, Hashable {
    /// Start it (ignored unless it is down or waiting to restart).
    case start
    /// Stop it: `ExecStop`, `KillSignal`, SIGKILL after `TimeoutStopSec`, `ExecStopPost`.
    case stop
    /// Stop it now with SIGKILL, skipping `ExecStop` and `ExecStopPost`; no restart.
    case fence
    /// The `.spawn` action for `role` started process `pid`.
    case spawned(ProcessRole, pid: Int32)
    /// The `.spawn` action for `role` could not start the command.
    case spawnFailed(ProcessRole, reason: String)
    /// Process `pid` ended.
    case exited(pid: Int32, ProcessExit)
    /// Time passed (see ``UnitLifecycle/deadline``).
    case tick
    /// The health check failed too often (the text says how): while running, the unit is
    /// stopped as a failure with the `watchdog` result, so its `restart` policy decides
    /// whether it comes back (systemd's watchdog timeout). Ignored in any other phase.
    case unhealthy(String)
}

/// Which of a unit's processes.
package enum ProcessRole: String, Sendable, Hashable, Codable {
    /// The service itself (`ExecStart`).
    case main
    /// A helper command: `ExecStartPre`, `ExecStartPost`, `ExecStop`, `ExecStopPost`.
    case control
}

/// The `Exec*=` list a command comes from.
package enum CommandStage: String, Sendable, Hashable, Codable {
    /// `ExecStartPre=`.
    case startPre = "ExecStartPre"
    /// `ExecStart=`.
    case start = "ExecStart"
    /// `ExecStartPost=`.
    case startPost = "ExecStartPost"
    /// `ExecStop=`.
    case stop = "ExecStop"
    /// `ExecStopPost=`.
    case stopPost = "ExecStopPost"
}

/// What the shell must do.
package enum UnitAction: Sendable, Hashable {
    /// Start `command` as the unit's `role` process, then report `.spawned` or `.spawnFailed`.
    case spawn(ProcessRole, ExecCommand, CommandStage)
    /// Send a signal to a process group, or to everything the unit runs.
    case signal(SignalTarget, Int32)
    /// A line for the unit's journal.
    case note(String)
}

/// Who a signal goes to.
package enum SignalTarget: Sendable, Hashable {
    /// The main process's group.
    case main
    /// The control process's group.
    case control
    /// Both groups and every process left in the unit's cgroup.
    case unit
}
