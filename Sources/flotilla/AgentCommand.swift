import ArgumentParser
import FlotillaModel
import FlotillaNode
import Foundation
import Logging
import ServiceLifecycle

/// `flotilla agent`: the process every machine runs.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run this machine's agent: membership, supervisor, controller, HTTP API.",
        discussion: """
            With no --store, the agent serves the embedded store (SQLite, etcd v3 API on \
            --store-listen). The first agent of a cluster bootstraps it: it makes the cluster CA \
            and its certificates (<state-dir>/tls/), an admin token (<state-dir>/admin.token), a \
            client config for its user (~/.config/flotilla/config.yaml or $FLOTILLA_CONFIG) and \
            a join token valid 24 h (<state-dir>/join.token, printed at start); other machines \
            join with --join https://THIS-HOST:4880 --join-token TOKEN. The API serves HTTPS \
            only and every request needs a token or a machine's certificate (docs/security.md). Settings come \
            from --config FILE (YAML, see docs/agent-config.md) and flags; flags win. \
            Metrics for Prometheus at GET /metrics on the API. \
            Stop with Ctrl-C or SIGTERM: the agent stops and leaves its units running, so the \
            next agent start (an upgrade) adopts them without a restart.
            """
    )

    @OptionGroup var options: AgentOptions
    @OptionGroup var logging: LogOptions

    func run() async throws {
        let metrics = logging.bootstrap()
        let logger = Logger(label: "flotilla.agent")
        var configuration = try options.nodeConfiguration()
        configuration.logger = logger
        configuration.metrics = metrics
        let node = try await Node.make(configuration)
        say("flotilla agent: machine \(node.endpoints.machineID) ready; API \(node.endpoints.api)"
              + (node.endpoints.store.map { ", store \($0)" } ?? ""))
        if let joinToken = node.endpoints.joinToken {
            say("flotilla agent: bootstrapped a new cluster; admin token in \(configuration.stateDirectory)/admin.token"
                + (configuration.clientConfigPath.map { ", client config \($0)" } ?? "")
                + ". Join other machines (token valid 24 h, also in \(configuration.stateDirectory)/join.token):\n"
                + "  flotilla agent --join \(node.endpoints.api) --join-token \(joinToken)")
        }
        let group = ServiceGroup(configuration: .init(
            services: node.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        if node.restartForRenewal {
            printError("flotilla agent: restarting to renew this machine's certificates (units keep running)")
            Self.restartInPlace()
        }
        printError("flotilla agent: stopped (units keep running)")
    }

    /// Replaces this process with a new start of the same command line (same PID, so a
    /// supervisor such as systemd sees no exit); returns only when that fails.
    static func restartInPlace() {
        // A new program inherits this thread's signal mask and ignored signals (the service
        // group ignores SIGTERM and SIGINT to watch them itself): start it with neither.
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        let arguments = CommandLine.arguments
        var pointers = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &pointers)
        printError("flotilla agent: cannot restart itself (\(String(cString: strerror(errno)))); start it again to renew its certificates")
        for pointer in pointers { free(pointer) }
    }
}

/// The settings an agent takes as flags (each overrides the config file).
struct AgentOptions: ParsableArguments {
    @Option(name: .long, help: "YAML config file (keys as in docs/agent-config.md).")
    var config: String?

    @Option(name: .customLong("state-dir"), help: "State directory (default /var/lib/flotilla).")
    var stateDirectory: String?

    @Option(name: .customLong("machine-id"), help: "Machine ID to use when none is stored yet (default: the OS's /etc/machine-id, else a new random one).")
    var machineID: String?

    @Option(name: .long, help: "Metadata label KEY=VALUE (repeatable; repeated keys add values).")
    var metadata: [String] = []

    @Option(name: .long, help: "CPU capacity override, e.g. 2 or 1500m.")
    var cpu: String?

    @Option(name: .long, help: "Memory capacity override, e.g. 4Gi.")
    var memory: String?

    @Option(name: .long, help: "Disk capacity override, e.g. 100Gi.")
    var disk: String?

    @Option(name: .long, help: "etcd endpoint(s), comma-separated (https://h1:2379,https://h2:2379). Default: embedded store (or the one joined).")
    var store: String?

    @Option(name: .customLong("store-cacert"), help: "CA certificate file of the etcd cluster's TLS (etcd's --cacert).")
    var storeCACert: String?

    @Option(name: .customLong("store-cert"), help: "Client certificate file toward etcd (etcd's --cert; with --client-cert-auth).")
    var storeCert: String?

    @Option(name: .customLong("store-key"), help: "Client key file toward etcd (etcd's --key).")
    var storeKey: String?

    @Option(name: .customLong("store-listen"), help: "Embedded store address HOST:PORT (default 127.0.0.1:2379).")
    var storeListen: String?

    @Option(name: .long, help: "HTTP API address HOST:PORT (default 127.0.0.1:4880).")
    var listen: String?

    @Option(name: .long, help: "API URL other machines use to reach this one (https://HOST:PORT).")
    var advertise: String?

    @Option(name: .long, help: "On first start, join the cluster through this agent's API (https://HOST:4880) instead of bootstrapping a new one.")
    var join: String?

    @Option(name: .customLong("join-token"), help: "The join token (flj1:<CA SHA-256>:NAME.SECRET) the bootstrapping agent printed, or flotilla token create --role join made.")
    var joinToken: String?

    @Option(name: .long, help: "Membership lease TTL in seconds (default 5).")
    var ttl: Int64?

    @Option(name: .customLong("storm-share"), help: "Hold moves when more than this share of the machines lose their leases within one TTL (default 0.5; 1: never hold).")
    var stormShare: String?

    @Option(name: .customLong("storm-grace"), help: "How long moves are held after such a lease storm (90, 90s, 2m; default three TTLs).")
    var stormGrace: Seconds?

    @OptionGroup var compaction: CompactionOptions

    @Flag(name: .customLong("no-overlay"), help: "Take no part in the overlay network, even once <network-prefix>/config exists.")
    var noOverlay = false

    @Option(name: .customLong("network-prefix"), help: "Where the overlay network's config and subnet leases are (flannel's --etcd-prefix; default /coreos.com/network).")
    var networkPrefix: String?

    @Option(name: .customLong("subnet-file"), help: "Where the subnet file goes (flannel's; default /run/flannel/subnet.env).")
    var subnetFile: String?

    @Option(name: .long, help: "Interface toward the other machines, by name or IPv4 address (default: the default route's).")
    var iface: String?

    @Flag(name: .customLong("ip-masq"), help: "Masquerade traffic from the overlay network leaving it.")
    var ipMasquerade = false

    @Option(name: .customLong("fleetlock-listen"), help: "Serve FleetLock for Zincati on HOST:PORT (plain HTTP, base path /; off by default). See docs/reboots.md.")
    var fleetLockListen: String?

    /// The config file merged with the flags.
    func agentConfig() throws -> AgentConfig {
        var config = AgentConfig()
        if let path = self.config {
            let (loaded, diagnostics) = AgentConfig.load(path: path)
            guard let loaded else {
                throw ValidationError(diagnostics.map(\.description).joined(separator: "\n"))
            }
            config = loaded
        }
        if let stateDirectory { config.stateDirectory = stateDirectory }
        if let machineID { config.machineID = machineID }
        if let fleetLockListen { config.fleetLockListen = fleetLockListen }
        for label in metadata {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--metadata \(label): expected KEY=VALUE, for example --metadata region=eu")
            }
            config.metadata.add(parts[0], parts[1])
        }
        do {
            if let cpu { config.cpu = try Quantity.parseCPU(cpu) }
            if let memory { config.memory = try Quantity.parseBytes(memory) }
            if let disk { config.disk = try Quantity.parseBytes(disk) }
        } catch {
            throw ValidationError("capacity override: \(error)")
        }
        if let store { config.store = store.split(separator: ",").map(String.init) }
        if let storeListen { config.storeListen = storeListen }
        if let storeCACert { config.storeCACert = storeCACert }
        if let storeCert { config.storeCert = storeCert }
        if let storeKey { config.storeKey = storeKey }
        if let listen { config.listen = listen }
        if let advertise { config.advertise = advertise }
        if let join { config.join = join }
        if let joinToken { config.joinToken = joinToken }
        if config.joinToken != nil, config.join == nil {
            throw ValidationError("--join-token needs --join https://AGENT:\(NodeConfiguration.defaultAPIPort), the agent to join through")
        }
        if let ttl {
            guard ttl >= 2 else { throw ValidationError("--ttl must be at least 2 seconds (etcd's minimum lease), got \(ttl)") }
            config.ttl = ttl
        }
        if let stormShare {
            guard let share = AgentConfig.stormShare(stormShare) else {
                throw ValidationError("--storm-share must be a number above 0 and at most 1 (the share of machines), got \(stormShare)")
            }
            config.stormShare = share
        }
        if let stormGrace { config.stormGrace = stormGrace.value }
        if noOverlay { config.overlay = false }
        if let networkPrefix {
            guard networkPrefix.hasPrefix("/") else { throw ValidationError("--network-prefix must start with / (e.g. /coreos.com/network), got \(networkPrefix)") }
            config.networkPrefix = networkPrefix
        }
        if let subnetFile { config.subnetFile = subnetFile }
        if let iface { config.iface = iface }
        if ipMasquerade { config.ipMasquerade = true }
        return config
    }

    func nodeConfiguration() throws -> NodeConfiguration {
        let config = try agentConfig()
        if !config.store.isEmpty, compaction.isSet {
            throw ValidationError("--auto-compaction-mode and --auto-compaction-retention apply to the embedded store; "
                                  + "with --store, the etcd cluster compacts by its own flags (etcd --auto-compaction-mode)")
        }
        var configuration = NodeConfiguration(config)
        configuration.autoCompaction = try compaction.policy()
        configuration.fenceWatchdog = flotillaExecutable()
        configuration.clientConfigPath = ClientConfig.path()
        configuration.osMachineIDFile = "/etc/machine-id"
        return configuration
    }
}

/// This process's own executable (the fence watchdog runs it again).
func flotillaExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return CommandLine.arguments[0] }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
