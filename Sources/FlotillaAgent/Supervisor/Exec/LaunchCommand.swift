import Glibc

/// The exact `execve` a spawn request turns into.
///
/// No helper process stays around: when the unit has a cgroup, `/bin/sh` writes its own pid
/// into each `cgroup.procs` and then `exec`s the command, so the program and everything it
/// forks start inside the cgroup (no window in which a child could escape). With `User=`,
/// util-linux `setpriv` switches uid, gid and supplementary groups and then `exec`s the
/// program. In a named network namespace (`network: overlay`), iproute2's `ip netns exec`
/// enters it (and puts `/etc/netns/<namespace>/` files in place) before `setpriv` drops
/// root. The pid the driver watches is the same through every `exec`.
package struct LaunchCommand: Sendable, Hashable {
    /// The file to execute.
    package var path: String
    /// Its argv.
    package var arguments: [String]

    /// The shell script that joins the cgroups named before `--` and runs what follows.
    static let joinScript = #"while [ "$1" != -- ]; do echo $$ > "$1" || exit 219; shift; done; shift; exec "$@""#

    /// Composes the launch of `program` (absolute) with argv `arguments` (argv[0] first).
    package static func compose(program: String, arguments: [String], cgroupProcs: [String], user: UserIdentity?,
                                setpriv: String?, namespace: String? = nil, ip: String? = ipPath) throws(SpawnFailure) -> LaunchCommand {
        var command = LaunchCommand(path: program, arguments: arguments.isEmpty ? [program] : arguments)
        if let user {
            guard let setpriv else {
                throw SpawnFailure("User=\(user.name) needs setpriv from util-linux, which is not installed; install util-linux (apt-get install util-linux)")
            }
            command = LaunchCommand(path: setpriv, arguments: ["setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)",
                                                                "--init-groups", "--", program] + command.arguments.dropFirst())
        }
        if let namespace {
            guard let ip else {
                throw SpawnFailure("network: overlay needs ip from iproute2, which is not installed; install iproute2 (apt-get install iproute2)")
            }
            command = LaunchCommand(path: ip, arguments: ["ip", "netns", "exec", namespace, command.path] + command.arguments.dropFirst())
        }
        if !cgroupProcs.isEmpty {
            command = LaunchCommand(path: "/bin/sh", arguments: ["/bin/sh", "-c", joinScript, "flotilla-cgroup-join"]
                                    + cgroupProcs + ["--", command.path] + command.arguments.dropFirst())
        }
        return command
    }

    /// The absolute path of `program`: itself when it contains `/`, else the first
    /// executable match in `path` (a `PATH` value).
    package static func resolve(_ program: String, path: String, isExecutable: (String) -> Bool) throws(SpawnFailure) -> String {
        if program.contains("/") {
            guard isExecutable(program) else { throw SpawnFailure("'\(program)' does not exist or is not executable") }
            return program
        }
        for directory in path.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = directory + "/" + program
            if isExecutable(candidate) { return String(candidate) }
        }
        throw SpawnFailure("'\(program)' not found in PATH=\(path); give the full path or set PATH with Environment=")
    }

    /// True for an existing regular file the agent may execute.
    static func isExecutable(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    /// Where iproute2's ip is, if anywhere.
    static let ipPath: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first(where: isExecutable)

    /// Where setpriv is, if anywhere.
    static let setprivPath: String? = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv"].first(where: isExecutable)
}
