import ArgumentParser
import FlotillaAPI
import FlotillaEtcd
import FlotillaModel
import FlotillaNetwork
import FlotillaStore
import Foundation
import UnixSignals

/// `flotilla dev --netns`: the same shape as the multi-host test bed, for a person. Each
/// machine is a network namespace on a bridge (``TestBed``) running a real `flotilla agent`
/// (machine 1 bootstraps and serves the store, the others join it); the overlay network is
/// turned on with a vxlan config, so stacks with `network: overlay` get addresses and DNS
/// names. The agents log to `<state-dir>/machine-K.log` with dev's `--log-level` and
/// `--log-format`. Ctrl-C stops the agents and removes the namespaces, links and rules.
extension DevCommand {
    /// The overlay's config in the dev cluster (flannel's JSON).
    static let devOverlayConfig = #"{"Network": "10.5.0.0/16", "Backend": {"Type": "vxlan"}}"#

    func runInNamespaces() async throws {
        if let reason = TestBed.unavailableReason { throw ValidationError("--netns: \(reason)") }
        try? FileManager.default.removeItem(atPath: stateDirectory)
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        try await TestBed.with(hosts: machines) { bed in
            let agents = try await bed.startAgents(executable: flotillaExecutable(), state: { "\(stateDirectory)/machine-\($0.index)" },
                                                   log: { "\(stateDirectory)/machine-\($0.index).log" }, ttl: Int(ttl),
                                                   apiPort: apiPort, storePort: storePort,
                                                   flags: Array(repeating: ["--log-level", logging.level.rawValue, "--log-format", logging.format.rawValue],
                                                                count: machines))
            let first = "\(stateDirectory)/machine-1"
            let tls = try EtcdTLS.files(ca: first + "/tls/ca.crt", certificate: first + "/tls/client.crt", key: first + "/tls/client.key")
            try await EtcdStore.with(configuration: .init(endpoints: ["\(bed.hosts[0].address):\(storePort)"], transportSecurity: tls.clientSecurity)) {
                _ = try await $0.put(PutRequest(key: Bytes(utf8: "/coreos.com/network/config"), value: Bytes(utf8: Self.devOverlayConfig)))
            }
            let client = try APIClient(endpoint: "https://\(bed.hosts[0].address):\(apiPort)",
                                       credentials: APICredentials.files(ca: first + "/tls/ca.crt", token: first + "/admin.token"))
            try await waitForMachines(client, count: machines)
            _ = try await bed.waitForSubnets(agents)   // instances on the overlay start once their machine has its subnet
            if !files.isEmpty {
                let applied = try await client.apply(SpecBundle.read(paths: files).applyRequest())
                say("applied \(applied.stacks.joined(separator: ", ")) (revision \(applied.revision)); flotilla status shows where the controller placed them")
            }
            printNamespaces(bed)
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
            printError("flotilla dev: stopping the agents and removing the namespaces")
            for agent in agents.processes where agent.isRunning { kill(agent.processIdentifier, SIGTERM) }
            let deadline = Date().addingTimeInterval(10)
            while agents.processes.contains(where: \.isRunning), Date() < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        }
        printError("flotilla dev: agents stopped; namespaces, links and rules removed")
    }

    private func printNamespaces(_ bed: TestBed) {
        var lines = ["", "Flotilla dev cluster on network namespaces: \(machines) machine(s) on bridge \(bed.bridge) (\(bed.network)), state in \(stateDirectory)"]
        for host in bed.hosts {
            lines.append("  machine=\(host.index)  namespace \(host.namespace)  \(host.address)  API https://\(host.address):\(apiPort)"
                         + (host.index == 1 ? "  store \(host.address):\(storePort)" : "") + "  log \(stateDirectory)/machine-\(host.index).log")
        }
        lines += ["", "Overlay network: \(Self.devOverlayConfig) at /coreos.com/network/config; each machine's subnet is in machine-K/subnet.env.",
                  "Stacks with `network: overlay` get an address each and the DNS name <stack>.flotilla.",
                  "\(ClientConfig.path()) holds the endpoint, the CA and an admin token, so the CLI needs no flags.",
                  "Look at it:",
                  "  flotilla status                 instances, machines, addresses",
                  "  flotilla logs -f INSTANCE/UNIT  a unit's output (examples/web.yaml: flotilla logs client@1)",
                  "  ip netns exec \(bed.hosts[0].namespace) ip route   machine 1's routes to the other machines' subnets",
                  "", "Ctrl-C stops everything and removes the namespaces."]
        say(lines.joined(separator: "\n"))
    }
}
