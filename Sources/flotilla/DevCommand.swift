import ArgumentParser
import FlotillaAPI
import FlotillaModel
import FlotillaNode
import Foundation
import Logging
import ServiceLifecycle

/// `flotilla dev [FILE...] [--machines N] [--netns]`: a whole cluster on this host, in the
/// foreground; with `--netns`, each machine in a network namespace of its own (`DevNamespaces`).
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run a complete cluster on this machine in the foreground and apply FILE.",
        discussion: """
            Machine 1 serves the embedded store (etcd v3 API on --store-port) and the API on \
            --api-port; machines 2…N join it with their own state directories, API ports, machine \
            IDs and metadata machine=K. Each run starts from an empty state directory; --keep \
            resumes the previous run's stacks instead. Ctrl-C stops the units and the agents. \
            Example: flotilla dev examples/hello.yaml --machines 3

            --netns (root only): each machine is a network namespace on a bridge, with an address \
            of 198.18.0.0/15, running `flotilla agent`; the overlay network (vxlan, 10.5.0.0/16) is \
            on, so stacks with `network: overlay` get addresses and DNS names. Ctrl-C removes the \
            namespaces, links and rules. Example: sudo flotilla dev --machines 3 --netns examples/web.yaml
            """
    )

    @Argument(help: "Spec files to apply once the cluster is up (YAML stacks or fleet unit files).")
    var files: [String] = []

    @Option(name: .long, help: "Machines (agents) to run on this host.")
    var machines: Int = 1

    @Option(name: .customLong("state-dir"), help: "Where the agents keep their state.")
    var stateDirectory: String = DevCommand.defaultStateDirectory

    @Option(name: .customLong("api-port"), help: "API port of machine 1; machine K uses this + K - 1.")
    var apiPort: Int = NodeConfiguration.defaultAPIPort

    @Option(name: .customLong("store-port"), help: "Port of the embedded store (etcd v3 API).")
    var storePort: Int = NodeConfiguration.defaultStorePort

    @Option(name: .long, help: "Membership lease TTL in seconds.")
    var ttl: Int64 = 5

    @Flag(name: .long, help: "Resume the previous run's state (its stacks and units) instead of starting empty.")
    var keep = false

    @Flag(name: .long, help: "Run each machine as an agent in a network namespace of its own, with the overlay network on (root only).")
    var netns = false

    @OptionGroup var logging: LogOptions

    static var defaultStateDirectory: String { NSTemporaryDirectory() + "flotilla-dev" }

    func validate() throws {
        guard (1...64).contains(machines) else { throw ValidationError("--machines must be from 1 to 64, got \(machines)") }
        guard ttl >= 2 else { throw ValidationError("--ttl must be at least 2 seconds, got \(ttl)") }
        if netns && keep { throw ValidationError("--keep is not supported with --netns yet: its machines start afresh every run") }
        if netns && geteuid() != 0 { throw ValidationError("--netns needs root: it makes network namespaces, a bridge and links (run it with sudo)") }
        let bundle = SpecBundle.read(paths: files)
        if bundle.diagnostics.hasErrors {
            throw ValidationError("the spec files have errors; nothing was started:\n"
                                  + bundle.diagnostics.map(\.description).joined(separator: "\n"))
        }
    }

    func run() async throws {
        let metrics = logging.bootstrap()
        if netns { return try await runInNamespaces() }
        let logger = Logger(label: "flotilla.dev")
        if !keep { try? FileManager.default.removeItem(atPath: stateDirectory) }
        func configuration(_ k: Int, first: Node?) -> NodeConfiguration {
            var config = AgentConfig()
            config.stateDirectory = "\(stateDirectory)/machine-\(k)"
            config.metadata = ["machine": String(k)]
            config.listen = "127.0.0.1:\(apiPort + k - 1)"
            config.ttl = ttl
            if k == 1 { config.storeListen = "127.0.0.1:\(storePort)" } else { config.store = ["https://127.0.0.1:\(storePort)"] }
            var configuration = NodeConfiguration(config, logger: logger)
            // Machine 1 bootstraps the cluster and writes the client config; the others'
            // certificates are signed by its CA in-process.
            if let first { configuration.issuer = first.ca } else { configuration.clientConfigPath = ClientConfig.path() }
            configuration.fenceWatchdog = flotillaExecutable()
            configuration.stopsUnitsOnShutdown = true
            configuration.metrics = metrics
            configuration.overlay = nil   // the machines share this host's network namespace
            return configuration
        }
        let first: Node
        do { first = try await Node.make(configuration(1, first: nil)) } catch {
            throw ValidationError("could not start the dev cluster: \(error)")
        }
        // Machine 1 serves the store the others use: it runs first, and stops last (once the
        // others' group, which takes the signals, has stopped).
        let firstGroup = ServiceGroup(configuration: .init(services: first.services, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await firstGroup.run() }
            do {
                var nodes = [first]
                do {
                    try await first.storeListening()
                    for k in stride(from: 2, through: machines, by: 1) { nodes.append(try await Node.make(configuration(k, first: first))) }
                } catch {
                    throw ValidationError("could not start the dev cluster: \(error)")
                }
                let setup = DevSetup(command: self, endpoints: nodes.map(\.endpoints),
                                     credentials: try APICredentials.files(ca: "\(stateDirectory)/machine-1/tls/ca.crt",
                                                                           token: "\(stateDirectory)/machine-1/admin.token"))
                let others = ServiceGroup(configuration: .init(
                    services: nodes.dropFirst().flatMap(\.services) + [.init(service: setup, successTerminationBehavior: .ignore,
                                                                              failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "dev-setup")],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await others.run()
            } catch {
                await firstGroup.triggerGracefulShutdown()
                throw error
            }
            await firstGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        printError("flotilla dev: units and agents stopped")
    }

    /// Once the agents run: waits for every machine to register, applies the files, prints
    /// where to look.
    private struct DevSetup: Service {
        let command: DevCommand
        let endpoints: [Node.Endpoints]
        let credentials: APICredentials

        func run() async throws {
            let client = try APIClient(endpoint: endpoints[0].api, credentials: credentials)
            try await command.waitForMachines(client, count: command.machines)
            if !command.files.isEmpty {
                let applied = try await client.apply(SpecBundle.read(paths: command.files).applyRequest())
                say("applied \(applied.stacks.joined(separator: ", ")) (revision \(applied.revision)); flotilla status shows where the controller placed them")
            }
            command.printWhereToLook(endpoints)
        }
    }

    func waitForMachines(_ client: APIClient, count: Int) async throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let report = try? await client.machines(), report.machines.filter({ $0.state == "alive" }).count >= count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("the \(count) machine(s) did not register within 30 s; see the log lines above")
    }

    fileprivate func printWhereToLook(_ endpoints: [Node.Endpoints]) {
        let api = endpoints[0].api
        var lines = ["", "Flotilla dev cluster: \(endpoints.count) machine(s), state in \(stateDirectory)"
                     + (keep ? " (resumed: --keep)" : " (fresh; --keep resumes a run)")]
        for (k, e) in endpoints.enumerated() {
            lines.append("  machine=\(k + 1)  \(e.machineID)  API \(e.api)" + (e.store.map { "  store \($0)" } ?? ""))
        }
        let endpoint = ""
        lines += ["", "The API serves HTTPS with the cluster's own CA; \(ClientConfig.path()) holds the endpoint (\(api)), the CA and an admin token, so the CLI needs no flags.",
                  "Look at it:",
                  "  flotilla status\(endpoint)            instances, machines, states, why unplaced",
                  "  flotilla machines\(endpoint)          machines, metadata, capacity, usage",
                  "  flotilla logs\(endpoint) -f INSTANCE/UNIT   a unit's output (e.g. hello@1/greeter)",
                  "  flotilla events\(endpoint) -f         what the controller decided and why",
                  "  ETCDCTL_API=3 etcdctl --endpoints \(endpoints[0].store ?? "") get --prefix /flotilla/ --keys-only",
                  "", "Ctrl-C stops everything."]
        say(lines.joined(separator: "\n"))
    }
}
