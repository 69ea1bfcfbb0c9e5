import Foundation

extension TestBed {
    /// Real `flotilla agent`s on a bed's hosts, as ``startAgents(executable:state:log:ttl:apiPort:storePort:flags:environment:)``
    /// started them.
    package struct Agents: Sendable {
        /// Each host's state directory.
        package var states: [String]
        /// Each host's agent process.
        package var processes: [Process]
        /// Each agent's command line (to start it again).
        package var arguments: [[String]]
    }

    /// Starts an agent on every host, in order: agent 1 bootstraps the cluster and serves the
    /// embedded store on host 1's address (`storePort`); the others join through its API
    /// (`apiPort`) with the join token it wrote. Each gets `--metadata machine=<index>`, its
    /// subnet file in its state directory, and `flags[index - 1]`. Returns once each agent has
    /// its certificate (agent 1 also its join token); a host whose agent does not get there
    /// within 30 s fails it, naming its log.
    package func startAgents(executable: String, state: (Host) -> String, log: (Host) -> String, ttl: Int, apiPort: Int = 4880,
                             storePort: Int = 2379, flags: [[String]], environment: [String: String] = [:]) async throws -> Agents {
        var agents = Agents(states: [], processes: [], arguments: [])
        for host in hosts {
            let directory = state(host)
            var arguments = [executable, "agent", "--state-dir", directory, "--listen", "\(host.address):\(apiPort)",
                             "--ttl", "\(ttl)", "--subnet-file", directory + "/subnet.env", "--metadata", "machine=\(host.index)",
                             // Every host of the bed shares /etc/machine-id: give each its own.
                             "--machine-id", UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()]
                + (flags.indices.contains(host.index - 1) ? flags[host.index - 1] : [])
            if host.index == 1 {
                arguments += ["--store-listen", "\(host.address):\(storePort)"]
            } else {
                let token = try String(contentsOfFile: agents.states[0] + "/join.token", encoding: .utf8)
                arguments += ["--join", "https://\(hosts[0].address):\(apiPort)", "--join-token", token.trimmingCharacters(in: .whitespacesAndNewlines)]
            }
            try FileManager.default.createDirectory(atPath: (log(host) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            agents.processes.append(try start(host, arguments, environment: environment, log: log(host)))
            agents.arguments.append(arguments)
            agents.states.append(directory)
            let deadline = ContinuousClock.now + .seconds(30)
            while !(FileManager.default.fileExists(atPath: directory + "/tls/client.crt")
                    && (host.index > 1 || FileManager.default.fileExists(atPath: directory + "/join.token"))) {
                guard ContinuousClock.now < deadline else { throw TestBedError("agent \(host.index) did not start within 30 s; its log: \(log(host))") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return agents
    }

    /// Waits until every host's agent has written its subnet file (the overlay is up there).
    package func waitForSubnets(_ agents: Agents) async throws -> [IPv4Subnet] {
        var subnets: [IPv4Subnet] = []
        let deadline = ContinuousClock.now + .seconds(30)
        for state in agents.states {
            while true {
                if let text = try? String(contentsOfFile: state + "/subnet.env", encoding: .utf8), let subnet = SubnetFile.previousSubnet(in: text) {
                    subnets.append(subnet)
                    break
                }
                guard ContinuousClock.now < deadline else { throw TestBedError("no subnet file in \(state) within 30 s") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return subnets
    }
}
