import Glibc

/// `posix_spawn` with what a unit needs: its own process group, default signal handling and
/// an empty signal mask, stdin from `/dev/null`, stdout and stderr appended to one file, no
/// other inherited descriptors, and an optional working directory.
enum PosixSpawn {
    /// Starts `path` with `arguments` (argv, including argv[0]) and `environment`
    /// (`NAME=value`); returns the pid, which is also the new process group's id.
    static func spawn(path: String, arguments: [String], environment: [String], workingDirectory: String?,
                      output: Int32) throws(SpawnFailure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        if let closeFrom = Symbols.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let workingDirectory {
            guard let addChdir = Symbols.addChdir else {
                throw SpawnFailure("WorkingDirectory= needs glibc 2.29 or newer (posix_spawn_file_actions_addchdir_np)")
            }
            _ = addChdir(&actions, workingDirectory)
        }

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

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard code == 0 else {
            let place = workingDirectory.map { " in '\($0)'" } ?? ""
            throw SpawnFailure("cannot execute '\(path)'\(place): \(String(cString: strerror(code)))")
        }
        return pid
    }

    /// glibc extensions Swift does not import, looked up at run time.
    private enum Symbols {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

        static let addCloseFrom: AddCloseFrom? = lookup("posix_spawn_file_actions_addclosefrom_np")
        static let addChdir: AddChdir? = lookup("posix_spawn_file_actions_addchdir_np")

        private static func lookup<F>(_ name: String) -> F? {
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { return nil }
            return unsafeBitCast(symbol, to: F.self)
        }
    }
}

/// Why a command could not be started; the text says what to fix.
package struct SpawnFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    package var description: String

    /// A failure with a message.
    package init(_ description: String) { self.description = description }
}
