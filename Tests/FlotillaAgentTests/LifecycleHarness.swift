@testable import FlotillaAgent
import FlotillaModel

/// Drives a ``UnitLifecycle`` the way the supervisor does, with a manual clock and fake
/// pids: every `.spawn` is answered at once, and what happened is kept as readable lines.
struct LifecycleHarness {
    var lifecycle: UnitLifecycle
    var now: Double = 1_000
    var nextPid: Int32 = 100
    /// `spawn ExecStartPre /bin/a`, `signal unit SIGTERM`, `note …`.
    var log: [String] = []
    /// Programs whose spawn fails.
    var unstartable: Set<String> = []
    /// Every state the unit went through, in order (repeats collapsed).
    var states: [UnitState]

    init(_ spec: UnitSpec) {
        lifecycle = UnitLifecycle(spec: spec, now: 1_000)
        states = [lifecycle.state]
    }

    var state: UnitState { lifecycle.state }

    mutating func send(_ event: UnitEvent) {
        var queue = [event]
        while !queue.isEmpty {
            let actions = lifecycle.handle(queue.removeFirst(), now: now)
            if states.last != lifecycle.state { states.append(lifecycle.state) }
            for action in actions {
                switch action {
                case .spawn(let role, let command, let stage):
                    let program = command.arguments.first ?? "?"
                    log.append("spawn \(stage.rawValue) \(program)")
                    if unstartable.contains(program) {
                        queue.append(.spawnFailed(role, reason: "'\(program)' not found"))
                    } else {
                        nextPid += 1
                        queue.append(.spawned(role, pid: nextPid))
                    }
                case .signal(let target, let signal):
                    log.append("signal \(target) \(SignalNumbers.name(signal))")
                case .note(let text):
                    log.append("note \(text)")
                }
            }
        }
    }

    mutating func start() { send(.start) }
    mutating func stop() { send(.stop) }

    /// The current control process ends.
    mutating func controlExits(_ status: ProcessExit) {
        guard let pid = lifecycle.control else { fatalError("no control process in \(lifecycle.phase)") }
        send(.exited(pid: pid, status))
    }

    /// The main process ends.
    mutating func mainExits(_ status: ProcessExit) {
        guard let pid = lifecycle.main else { fatalError("no main process in \(lifecycle.phase)") }
        send(.exited(pid: pid, status))
    }

    /// Moves the clock and delivers a tick.
    mutating func advance(_ seconds: Double) {
        now += seconds
        send(.tick)
    }

    /// Programs spawned, in order, with their stage.
    var spawns: [String] { log.filter { $0.hasPrefix("spawn ") }.map { String($0.dropFirst(6)) } }
    /// Signals sent, in order.
    var signals: [String] { log.filter { $0.hasPrefix("signal ") }.map { String($0.dropFirst(7)) } }

    /// Seconds until the lifecycle's deadline.
    var wait: Double? { lifecycle.deadline.map { $0 - now } }
}

/// A unit spec from short command lines (`-` prefix = ignore failure).
func unit(_ name: String = "web", type: ServiceType = .simple, pre: [String] = [], start: [String] = ["/srv/main"],
          post: [String] = [], stop: [String] = [], stopPost: [String] = [], restart: RestartPolicy = .no,
          restartSec: Double = 1, timeoutStart: Double = 90, timeoutStop: Double = 5, remain: Bool = false,
          killSignal: String = "SIGTERM") -> UnitSpec {
    func commands(_ lines: [String]) -> [ExecCommand] {
        lines.map { line in
            let ignore = line.hasPrefix("-")
            return ExecCommand(arguments: (ignore ? String(line.dropFirst()) : line).split(separator: " ").map(String.init),
                               ignoreFailure: ignore)
        }
    }
    var spec = UnitSpec(name: name)
    spec.type = type
    spec.execStartPre = commands(pre)
    spec.execStart = commands(start)
    spec.execStartPost = commands(post)
    spec.execStop = commands(stop)
    spec.execStopPost = commands(stopPost)
    spec.restart = restart
    spec.restartSec = restartSec
    spec.timeoutStartSec = timeoutStart
    spec.timeoutStopSec = timeoutStop
    spec.remainAfterExit = remain
    spec.killSignal = killSignal
    return spec
}
