import Dispatch
import FlotillaAgent
import FlotillaModel
import Synchronization

/// An in-memory ``UnitDriver`` for tests and benchmarks: processes "run" at once and end
/// when told, when signalled, or by the behaviour chosen for their command.
///
/// Default behaviour by program name (the last path component of argv[0]): `true` exits 0,
/// `false` exits 1, `missing` cannot be started, anything else runs until a signal ends it.
/// Exit reports come from a dispatch queue, never from inside `spawn`.
package final class FakeDriver: UnitDriver {
    /// What a fake process does.
    package enum Behavior: Sendable, Hashable {
        /// Runs until a signal other than SIGCONT ends it (or until ``FakeDriver/exit(_:_:)``);
        /// signals in `ignoring` are survived (SIGKILL never is).
        case run(ignoring: Set<Int32> = [])
        /// Ends by itself with this status.
        case exit(ProcessExit)
        /// Cannot be started.
        case failToStart(String)
    }

    private struct Process {
        var request: SpawnRequest
        var handle: ProcessHandle
        var ignoring: Set<Int32>
        var onExit: ExitHandler
    }

    private struct State {
        var nextPid: Int32 = 10_000
        var running: [Int32: Process] = [:]
        var spawned: [SpawnRequest] = []
        var spawnCount = 0
        var signals: [(pid: Int32, signal: Int32)] = []
    }

    private let state = Mutex(State())
    private let behavior: @Sendable (SpawnRequest) -> Behavior
    private let queue = DispatchQueue(label: "flotilla.fake-driver")

    /// A fake driver; `behavior` overrides the default behaviour per command.
    package init(behavior: (@Sendable (SpawnRequest) -> Behavior)? = nil) {
        self.behavior = behavior ?? FakeDriver.defaultBehavior
    }

    /// The default behaviour (see the type's description).
    package static func defaultBehavior(_ request: SpawnRequest) -> Behavior {
        switch request.arguments.first?.split(separator: "/").last ?? "" {
        case "true": .exit(.exited(0))
        case "false": .exit(.exited(1))
        case "missing": .failToStart("'missing' not found in PATH")
        default: .run()
        }
    }

    /// Starts a command (see ``UnitDriver``).
    package func spawn(_ request: SpawnRequest, onExit: @escaping ExitHandler) throws(SpawnFailure) -> ProcessHandle {
        let chosen = behavior(request)
        if case .failToStart(let reason) = chosen { throw SpawnFailure(reason) }
        let handle = state.withLock { state -> ProcessHandle in
            state.nextPid += 1
            let handle = ProcessHandle(pid: state.nextPid, processGroup: state.nextPid, startTime: UInt64(state.nextPid))
            state.spawned.append(request)
            state.spawnCount += 1
            if state.spawned.count > Self.kept { state.spawned.removeFirst(state.spawned.count - Self.kept) }
            if case .run(let ignoring) = chosen {
                state.running[handle.pid] = Process(request: request, handle: handle, ignoring: ignoring, onExit: onExit)
            }
            return handle
        }
        if case .exit(let status) = chosen { queue.async { onExit(handle, status) } }
        return handle
    }

    /// Watches a process of an earlier agent run (see ``UnitDriver``).
    package func adopt(_ process: ProcessHandle, onExit: @escaping ExitHandler) -> Bool {
        state.withLock { state in
            guard var known = state.running[process.pid], known.handle == process else { return false }
            known.onExit = onExit
            state.running[process.pid] = known
            return true
        }
    }

    /// Signals a process group (see ``UnitDriver``).
    package func signal(_ process: ProcessHandle, _ signal: Int32) {
        deliver(signal) { $0.handle.processGroup == process.processGroup }
    }

    /// Signals every process of a cgroup (see ``UnitDriver``).
    package func signal(cgroup: CgroupPlacement, _ signal: Int32) {
        deliver(signal) { $0.request.cgroup == cgroup }
    }

    /// Makes a unit's cgroup (see ``UnitDriver``).
    package func makeCgroup(name: String, limits: Resources) -> CgroupPlacement { CgroupPlacement(paths: ["fake:/" + name]) }

    /// Removes a unit's cgroup (see ``UnitDriver``).
    package func removeCgroup(_ cgroup: CgroupPlacement) -> Bool { true }

    /// Ends a running fake process with `status`.
    package func exit(_ pid: Int32, _ status: ProcessExit) {
        guard let process = state.withLock({ $0.running.removeValue(forKey: pid) }) else { return }
        queue.async { process.onExit(process.handle, status) }
    }

    /// Pids of the processes running now.
    package var runningPids: [Int32] { state.withLock { $0.running.keys.sorted() } }

    /// The last ``kept`` requests spawned, oldest first.
    package var spawned: [SpawnRequest] { state.withLock { $0.spawned } }

    /// How many processes were spawned in all.
    package var spawnCount: Int { state.withLock { $0.spawnCount } }

    /// How many spawn requests ``spawned`` keeps (bounded, for long benchmarks).
    package static let kept = 256

    /// Every signal sent to a running process, oldest first.
    package var signals: [(pid: Int32, signal: Int32)] { state.withLock { $0.signals } }

    private func deliver(_ signal: Int32, to matches: (Process) -> Bool) {
        let ended = state.withLock { state -> [Process] in
            var ended: [Process] = []
            for process in state.running.values where matches(process) {
                state.signals.append((process.handle.pid, signal))
                guard signal != SignalNumbers.cont, signal == SignalNumbers.kill || !process.ignoring.contains(signal) else { continue }
                state.running[process.handle.pid] = nil
                ended.append(process)
            }
            return ended
        }
        for process in ended { queue.async { process.onExit(process.handle, .signaled(signal)) } }
    }
}
