import FlotillaModel
import FlotillaNetwork
import Foundation
import Glibc

/// Turns one of a unit's commands into a ``SpawnRequest``: the environment (systemd's
/// `PATH`, the user's `HOME`/`USER`/`LOGNAME`/`SHELL`, `FLOTILLA_*`, `Environment=`, then
/// `EnvironmentFile=`, whose values win, then `env_from`'s values from the store as the
/// controller resolved them, which win over both, `MAINPID` for control commands and
/// `FLOTILLA_IP` on the overlay), the network namespace (`network: overlay`), the expanded
/// argument vector, `User=`/`Group=` and `WorkingDirectory=` (default `/`, `~` = home).
struct UnitLaunch: Sendable {
    let facts: ExecExpansion.MachineFacts

    func request(_ command: ExecCommand, spec: UnitSpec, instance: String, mainPID: Int32?, outputPath: String,
                 cgroup: CgroupPlacement?, network: InstanceAttachment? = nil) throws(SpawnFailure) -> SpawnRequest {
        let user = try spec.user.map { name throws(SpawnFailure) in try Self.lookUpUser(specifiers(name), group: spec.group.map(specifiers)) }
        var environment: [String: String] = ["PATH": ExecDriver.defaultPath, "FLOTILLA_INSTANCE": instance,
                                             "FLOTILLA_UNIT": spec.name, "FLOTILLA_MACHINE": facts.machineID]
        if let user {
            environment["HOME"] = user.home; environment["USER"] = user.name
            environment["LOGNAME"] = user.name; environment["SHELL"] = user.shell
        }
        for variable in spec.environment { environment[variable.name] = specifiers(variable.value) }
        for file in spec.environmentFiles {
            let path = specifiers(file.path)
            guard let data = FileManager.default.contents(atPath: path) else {
                if file.optional { continue }
                throw SpawnFailure("EnvironmentFile=\(path) cannot be read; create it, or write '-\(path)' to make it optional")
            }
            for (name, value) in EnvironmentFileParser.parse(String(decoding: data, as: UTF8.self)).assignments {
                environment[name] = value
            }
        }
        for (name, value) in spec.storeEnvironment { environment[name] = value }   // env_from, verbatim
        if let mainPID { environment["MAINPID"] = String(mainPID) }
        if let network { environment["FLOTILLA_IP"] = network.address }
        var directory = spec.workingDirectory.map(specifiers) ?? "/"
        if directory == "~" { directory = user?.home ?? Self.agentHome() }
        let arguments = command.verbatim ? command.arguments : ExecExpansion.expand(command.arguments, environment: environment, facts: facts)
        return SpawnRequest(arguments: arguments,
                            environment: environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
                            workingDirectory: directory, user: user, outputPath: outputPath, cgroup: cgroup,
                            namespace: network?.namespace)
    }

    private func specifiers(_ text: String) -> String { ExecExpansion.specifiers(text, facts) }

    /// `User=` (a name or a numeric id) and `Group=` from the system's user database.
    static func lookUpUser(_ name: String, group: String?) throws(SpawnFailure) -> UserIdentity {
        var entry = passwd()
        var buffer = [CChar](repeating: 0, count: 16_384)
        var found: UnsafeMutablePointer<passwd>?
        if let uid = UInt32(name) {
            _ = getpwuid_r(uid, &entry, &buffer, buffer.count, &found)
        } else {
            _ = getpwnam_r(name, &entry, &buffer, buffer.count, &found)
        }
        guard found != nil else { throw SpawnFailure("User=\(name): no such user on this machine; create it or change User=") }
        var identity = UserIdentity(name: String(cString: entry.pw_name), uid: entry.pw_uid, gid: entry.pw_gid,
                                    home: String(cString: entry.pw_dir), shell: String(cString: entry.pw_shell))
        if let group {
            var groupEntry = Glibc.group()
            var groupFound: UnsafeMutablePointer<Glibc.group>?
            if let gid = UInt32(group) {
                _ = getgrgid_r(gid, &groupEntry, &buffer, buffer.count, &groupFound)
            } else {
                _ = getgrnam_r(group, &groupEntry, &buffer, buffer.count, &groupFound)
            }
            guard groupFound != nil else { throw SpawnFailure("Group=\(group): no such group on this machine; create it or change Group=") }
            identity.gid = groupEntry.gr_gid
        }
        return identity
    }

    /// The agent user's home directory (for `WorkingDirectory=~` without `User=`).
    static func agentHome() -> String {
        (try? lookUpUser(String(getuid()), group: nil).home) ?? "/"
    }
}
