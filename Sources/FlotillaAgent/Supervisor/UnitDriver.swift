import FlotillaModel

/// The seam between the supervisor and the machine: starts, watches, signals and adopts
/// processes, and keeps units in cgroups. ``ExecDriver`` is the real one, ``FakeDriver`` the
/// in-memory one for tests and benchmarks.
///
/// Contract: `onExit` runs exactly once per spawned or adopted process (with its handle), on
/// any thread, after the process is gone; never from inside `spawn` or `adopt`.
package protocol UnitDriver: Sendable {
    /// Starts a command in a new process group (and in `request.cgroup`).
    func spawn(_ request: SpawnRequest, onExit: @escaping ExitHandler) throws(SpawnFailure) -> ProcessHandle
    /// Watches a process an earlier agent run started; false when it is gone or its pid now
    /// names another process (different start time).
    func adopt(_ process: ProcessHandle, onExit: @escaping ExitHandler) -> Bool
    /// Sends `signal` to the process group `process` leads — also after the leader ended,
    /// to reach what it left behind, but never once its pid names another process.
    func signal(_ process: ProcessHandle, _ signal: Int32)
    /// Sends `signal` to every process in the cgroup.
    func signal(cgroup: CgroupPlacement, _ signal: Int32)
    /// Creates the cgroup for one unit run, named `name`, with `limits` (cpu, memory) applied
    /// where the machine allows; the placement says what is not enforced.
    func makeCgroup(name: String, limits: Resources) -> CgroupPlacement
    /// Removes a unit's cgroup; false while processes are still in it (try again later).
    func removeCgroup(_ cgroup: CgroupPlacement) -> Bool
}

/// Called when a process ended.
package typealias ExitHandler = @Sendable (ProcessHandle, ProcessExit) -> Void

/// One process a driver started or adopted.
package struct ProcessHandle: Sendable, Hashable, Codable {
    /// Process ID.
    package var pid: Int32
    /// Its process group (the pid of the process the driver started).
    package var processGroup: Int32
    /// Start time in clock ticks since boot (`/proc/<pid>/stat` field 22); with the pid it
    /// names the process even after the pid is reused.
    package var startTime: UInt64

    /// A handle.
    package init(pid: Int32, processGroup: Int32, startTime: UInt64) {
        self.pid = pid; self.processGroup = processGroup; self.startTime = startTime
    }
}

/// What to start.
package struct SpawnRequest: Sendable, Hashable {
    /// Program and arguments, expanded. A program without `/` is looked up in the `PATH` of
    /// ``environment``.
    package var arguments: [String]
    /// The whole environment, `NAME=value`.
    package var environment: [String]
    /// Directory to start in (nil: `/`).
    package var workingDirectory: String?
    /// Run as this user (nil: as the agent).
    package var user: UserIdentity?
    /// File that receives stdout and stderr, opened with `O_APPEND` (the unit's journal).
    package var outputPath: String
    /// The unit's cgroup, joined before the program runs.
    package var cgroup: CgroupPlacement?
    /// The named network namespace the program runs in (`network: overlay`); nil: the agent's.
    package var namespace: String?

    /// A request.
    package init(arguments: [String], environment: [String], workingDirectory: String? = nil, user: UserIdentity? = nil,
                 outputPath: String, cgroup: CgroupPlacement? = nil, namespace: String? = nil) {
        self.arguments = arguments; self.environment = environment; self.workingDirectory = workingDirectory
        self.user = user; self.outputPath = outputPath; self.cgroup = cgroup; self.namespace = namespace
    }
}

/// A resolved `User=` (and `Group=`).
package struct UserIdentity: Sendable, Hashable, Codable {
    /// Login name.
    package var name: String
    /// User ID.
    package var uid: UInt32
    /// Primary group ID (or `Group=`'s).
    package var gid: UInt32
    /// Home directory.
    package var home: String
    /// Login shell.
    package var shell: String

    /// An identity.
    package init(name: String, uid: UInt32, gid: UInt32, home: String, shell: String) {
        self.name = name; self.uid = uid; self.gid = gid; self.home = home; self.shell = shell
    }
}

/// A unit's cgroup: one directory per cgroup hierarchy used (cgroup v1 has one per
/// controller, v2 one in all).
package struct CgroupPlacement: Sendable, Hashable, Codable {
    /// The cgroup directories; empty when no cgroup could be made.
    package var paths: [String]
    /// Why some requested limit is not enforced (nil when all are).
    package var warning: String?

    /// A placement.
    package init(paths: [String], warning: String? = nil) {
        self.paths = paths; self.warning = warning
    }

    /// No cgroup at all.
    package static func none(_ warning: String?) -> CgroupPlacement { CgroupPlacement(paths: [], warning: warning) }
}
