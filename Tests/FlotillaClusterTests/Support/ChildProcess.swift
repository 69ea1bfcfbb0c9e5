import Foundation
import Glibc
import Synchronization

/// A process the tests started with `posix_spawn`: its own process group, default signal
/// dispositions and an empty mask (so SIGINT/SIGTERM reach it even when the test runner
/// blocks them), stdin from /dev/null, stdout and stderr appended to one log file, no other
/// inherited descriptors. The test reaps it itself (`waitpid` on its pid only).
final class ChildProcess: Sendable {
    /// Process ID, also its process group ID.
    let pid: pid_t
    /// Where its stdout and stderr go.
    let logPath: String
    private let status = Mutex<Int32?>(nil)

    private init(pid: pid_t, logPath: String) {
        self.pid = pid
        self.logPath = logPath
    }

    /// Starts `path ARGS`, output appended to `logPath` (stderr to `errorPath` when given),
    /// with the test runner's environment plus `environment`, in `directory` when given.
    static func spawn(_ path: String, _ arguments: [String], logPath: String, errorPath: String? = nil,
                      environment: [String: String] = [:], directory: String? = nil) throws -> ChildProcess {
        let output = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw ClusterTestError("cannot open \(logPath): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        let errors = errorPath.map { open($0, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) } ?? output
        guard errors >= 0 else { throw ClusterTestError("cannot open \(errorPath ?? ""): \(String(cString: strerror(errno)))") }
        defer { if errors != output { close(errors) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        if let closeFrom = SpawnSymbols.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let directory, let chdir = SpawnSymbols.addChdir { _ = chdir(&actions, directory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard code == 0 else { throw ClusterTestError("cannot start \(path): \(String(cString: strerror(code)))") }
        return ChildProcess(pid: pid, logPath: logPath)
    }

    /// Sends `signal` to the process.
    func signal(_ signal: Int32) { if exitStatus == nil { kill(pid, signal) } }

    /// Sends `signal` to the process's whole group.
    func signalGroup(_ signal: Int32) { if exitStatus == nil { kill(-pid, signal) } }

    /// The exit code (128 + signal when killed) once it ended; nil while it runs.
    var exitStatus: Int32? {
        status.withLock { known in
            if let known { return known }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            known = code
            return code
        }
    }

    /// Waits until the process ended, at most `timeout`; returns its exit status.
    @discardableResult
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let code = exitStatus { return code }
            usleep(20_000)
        }
        return exitStatus
    }

    /// SIGKILLs the process (SIGCONT first, in case it is stopped) and reaps it.
    func killAndReap() {
        signal(SIGKILL)
        kill(pid, SIGCONT)
        waitForExit(timeout: .seconds(10))
    }

    /// The log file's text.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The last `count` lines of the log.
    func logTail(_ count: Int = 40) -> String {
        log.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }
}

/// glibc extensions Swift does not import, looked up at run time.
private enum SpawnSymbols {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let addCloseFrom: AddCloseFrom? = lookup("posix_spawn_file_actions_addclosefrom_np")
    static let addChdir: AddChdir? = lookup("posix_spawn_file_actions_addchdir_np")

    private static func lookup<F>(_ name: String) -> F? {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { return nil }
        return unsafeBitCast(symbol, to: F.self)
    }
}

/// A cluster-test failure with what was seen.
struct ClusterTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
