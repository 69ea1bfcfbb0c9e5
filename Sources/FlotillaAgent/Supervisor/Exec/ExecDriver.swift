import FlotillaModel
import Glibc

/// The real ``UnitDriver``: `posix_spawn` into a new process group, one watcher thread with
/// pidfds for every process (``ExitWatcher``), cgroups v1 or v2 where the machine has them.
///
/// Output never passes through the agent: the journal file is opened with `O_APPEND` and
/// becomes the child's stdout and stderr.
package final class ExecDriver: UnitDriver {
    private let watcher = ExitWatcher()
    private let cgroups: CgroupControl

    /// A driver; `cgroups` says where unit cgroups go.
    package init(cgroups: CgroupSettings = CgroupSettings()) {
        self.cgroups = CgroupControl(system: CgroupSystem.detect(), settings: cgroups)
    }

    deinit { watcher.close() }

    /// The cgroup hierarchies found on this machine.
    package var cgroupSystem: CgroupSystem { cgroups.system }

    /// Stops watching: no more exit reports. Processes keep running (what an agent crash
    /// leaves behind; the next agent run adopts them).
    package func shutdown() { watcher.close() }

    /// Starts a command (see ``UnitDriver``).
    package func spawn(_ request: SpawnRequest, onExit: @escaping ExitHandler) throws(SpawnFailure) -> ProcessHandle {
        guard let program = request.arguments.first else { throw SpawnFailure("empty command line") }
        let searchPath = request.environment.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? Self.defaultPath
        let resolved = try LaunchCommand.resolve(program, path: searchPath, isExecutable: LaunchCommand.isExecutable)
        if let directory = request.workingDirectory {
            var info = stat()
            guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw SpawnFailure("WorkingDirectory=\(directory) does not exist or is not a directory")
            }
        }
        let procs = (request.cgroup?.paths ?? []).map { $0 + "/cgroup.procs" }
        let launch = try LaunchCommand.compose(program: resolved, arguments: request.arguments, cgroupProcs: procs,
                                               user: request.user, setpriv: LaunchCommand.setprivPath, namespace: request.namespace)
        let output = open(request.outputPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard output >= 0 else {
            throw SpawnFailure("cannot open journal \(request.outputPath): \(String(cString: strerror(errno)))")
        }
        defer { close(output) }
        let pid = try PosixSpawn.spawn(path: launch.path, arguments: launch.arguments, environment: request.environment,
                                       workingDirectory: request.workingDirectory, output: output)
        let handle = ProcessHandle(pid: pid, processGroup: pid, startTime: ProcStat.read(pid)?.startTime ?? 0)
        watcher.watch(pid, startTime: handle.startTime) { status in onExit(handle, status) }
        return handle
    }

    /// Watches a process of an earlier agent run (see ``UnitDriver``).
    package func adopt(_ process: ProcessHandle, onExit: @escaping ExitHandler) -> Bool {
        guard let stat = ProcStat.read(process.pid), stat.startTime == process.startTime else { return false }
        if stat.state == "Z" || stat.state == "X" {
            _ = ExitWatcher.reap(process.pid) // our own zombie (same agent process): collect it
            return false
        }
        return watcher.watch(process.pid, startTime: process.startTime, verifying: true) { status in onExit(process, status) }
    }

    /// Signals a process group (see ``UnitDriver``).
    package func signal(_ process: ProcessHandle, _ signal: Int32) {
        guard process.processGroup > 1 else { return }
        if process.processGroup == process.pid, let stat = ProcStat.read(process.pid), stat.startTime != process.startTime {
            return // the leader's pid names another process now; the number may lead another group
        }
        kill(-process.processGroup, signal)
    }

    /// Signals every process of a cgroup (see ``UnitDriver``).
    package func signal(cgroup: CgroupPlacement, _ signal: Int32) { CgroupControl.signal(cgroup, signal) }

    /// Makes a unit's cgroup (see ``UnitDriver``).
    package func makeCgroup(name: String, limits: Resources) -> CgroupPlacement { cgroups.make(name: name, limits: limits) }

    /// Removes a unit's cgroup (see ``UnitDriver``).
    package func removeCgroup(_ cgroup: CgroupPlacement) -> Bool { cgroups.remove(cgroup) }

    /// systemd's default `PATH` for services.
    package static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}
