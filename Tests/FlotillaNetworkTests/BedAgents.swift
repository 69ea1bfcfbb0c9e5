import FlotillaTesting
import Foundation

/// Real `flotilla agent`s on the hosts of a test bed: agent 1 bootstraps the cluster and serves
/// the embedded store on host 1's address; the others join through its API with its join
/// token. Every agent and CLI run gets `FLOTILLA_CONFIG=<directory>/client.yaml`, which agent 1
/// writes (its API URL, the admin token, the CA).
enum BedAgents {
    /// Starts agent 1 on host 1 (bootstraps, serves the store on its address), then the others
    /// joining through it, each with its `flags`; returns their state directories, processes
    /// and command lines.
    static func start(_ bed: TestBed, directory: String, ttl: Int = 3, flags: [[String]]) async throws
        -> (states: [String], processes: [Process], arguments: [[String]]) {
        var states: [String] = []
        var processes: [Process] = []
        var commands: [[String]] = []
        for host in bed.hosts {
            let state = "\(directory)/a\(host.index)"
            var arguments = [BuiltFlotilla.path, "agent", "--state-dir", state, "--listen", "\(host.address):4880",
                             "--ttl", "\(ttl)", "--subnet-file", state + "/subnet.env", "--metadata", "machine=\(host.index)"]
                + flags[host.index - 1]
            if host.index == 1 {
                arguments += ["--store-listen", "\(host.address):2379"]
            } else {
                let token = try String(contentsOfFile: directory + "/a1/join.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                arguments += ["--join", "https://\(bed.hosts[0].address):4880", "--join-token", token]
            }
            processes.append(try bed.start(host, arguments, environment: ["FLOTILLA_CONFIG": directory + "/client.yaml"], log: "\(directory)/a\(host.index).log"))
            commands.append(arguments)
            _ = try await bedEventually("agent \(host.index) started") {
                FileManager.default.fileExists(atPath: state + "/tls/client.crt") && (host.index > 1 || FileManager.default.fileExists(atPath: state + "/join.token")) ? true : nil
            }
            states.append(state)
        }
        return (states, processes, commands)
    }
}

/// Polls `value` every 100 ms for up to 30 s; fails naming `what` when it stays nil.
func bedEventually<T>(_ what: String, _ value: () async throws -> T?) async throws -> T {
    for _ in 0..<300 {
        if let found = try await value() { return found }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestBedError("timed out waiting for \(what)")
}
