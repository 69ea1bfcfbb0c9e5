import Foundation
import FlotillaAgent
import FlotillaAPI
import FlotillaController
import FlotillaModel
import FlotillaNetwork
import FlotillaSecurity
import FlotillaStoreSQLite
import Logging
import Prometheus

/// Everything one agent needs to run, with defaults filled in.
package struct NodeConfiguration: Sendable {
    /// Default port of the HTTP API.
    package static let defaultAPIPort = APIClient.defaultPort
    /// Default port of the embedded store (etcd's client port).
    package static let defaultStorePort = 2379

    /// State directory: `machine-id`, `store/` (embedded store), `units/`, `journal/`.
    package var stateDirectory: String
    /// Machine ID to use when none is stored yet.
    package var machineID: String?
    /// Placement labels.
    package var metadata: Metadata
    /// Capacity overrides (nil: measured).
    package var cpu: Int64?, memory: Int64?, disk: Int64?
    /// etcd endpoints; empty: serve the embedded store.
    package var storeEndpoints: [String]
    /// The etcd cluster's CA, and this agent's client certificate and key (PEM files; etcd's
    /// `--cacert`, `--cert`, `--key`).
    package var storeCACert: String?, storeCert: String?, storeKey: String?
    /// Embedded store address (`host:port`).
    package var storeListen: String
    /// API address (`host:port`; port 0 picks a free one).
    package var apiListen: String
    /// The API URL other agents use; nil: `http://<api host>:<bound port>`.
    package var advertise: String?
    /// Membership lease TTL, seconds.
    package var ttl: Int64
    /// The controller's lease-storm guard (its `ttl` is set from ``ttl``).
    package var storm: StormGuard.Settings
    /// Store key prefix.
    package var prefix: String
    /// How the embedded store compacts its history (etcd's `--auto-compaction-mode` and
    /// `--auto-compaction-retention`); unused with an etcd cluster, which compacts itself.
    package var autoCompaction: AutoCompaction
    /// What runs units: the exec driver on a real machine; benchmarks and tests inject
    /// FlotillaTesting's `FakeDriver`, which executes nothing.
    package var driver: any UnitDriver
    /// The `flotilla` executable to run as this agent's fence watchdog (`flotilla
    /// fence-watchdog`, see `FenceWatchdog`); nil: none (in-process agents of tests and
    /// benchmarks).
    package var fenceWatchdog: String?
    /// Stop every unit when the node shuts down (`flotilla dev`); otherwise units keep
    /// running and the next agent adopts them.
    package var stopsUnitsOnShutdown: Bool
    /// Where the node's components log (each under its own label, with this one's level and
    /// metadata).
    package var logger: Logger
    /// The registry `GET /metrics` renders: the one the process's `MetricsSystem` was
    /// bootstrapped with (nil: `/metrics` answers 404).
    package var metrics: PrometheusCollectorRegistry?
    /// An agent's API URL to join the cluster through, when the node has no certificates yet.
    package var join: String?
    /// The join token (`flj1:<CA SHA-256>:NAME.SECRET`).
    package var joinToken: String?
    /// A CA that signs this node's certificates in-process (`flotilla dev`'s machines 2…N);
    /// the node keeps only its certificate.
    package var issuer: ClusterCA?
    /// Where a bootstrapping node writes the client config for its user (nil: nowhere).
    package var clientConfigPath: String?
    /// How the node takes part in the overlay network; nil: not at all (`--no-overlay`, and
    /// the in-process nodes of `flotilla dev` and benchmarks, which share one network namespace).
    package var overlay: OverlaySettings?
    /// The OS's machine ID file (`flotilla agent`: `/etc/machine-id`): a new agent without
    /// `--machine-id` takes its ID from there, as fleet did, so Zincati's FleetLock id maps to
    /// it. nil (dev, benchmarks): a random ID.
    package var osMachineIDFile: String?
    /// How the machine reboots for OS updates (strategy `off` unless configured).
    package var reboot = RebootSettings()
    /// Where the FleetLock server listens (`HOST:PORT`); nil: it does not run.
    package var fleetLockListen: String?

    /// Settings from a config file and flags (flags are already merged into `config`).
    package init(_ config: AgentConfig, logger: Logger = Logger(label: "flotilla.agent")) {
        stateDirectory = config.stateDirectory ?? "/var/lib/flotilla"
        machineID = config.machineID
        metadata = config.metadata
        cpu = config.cpu; memory = config.memory; disk = config.disk
        storeEndpoints = config.store
        storeCACert = config.storeCACert; storeCert = config.storeCert; storeKey = config.storeKey
        storeListen = config.storeListen ?? "127.0.0.1:\(Self.defaultStorePort)"
        apiListen = config.listen ?? "127.0.0.1:\(Self.defaultAPIPort)"
        advertise = config.advertise
        ttl = config.ttl ?? 5
        storm = StormGuard.Settings(share: config.stormShare ?? 0.5, grace: config.stormGrace)
        prefix = config.prefix ?? "/flotilla/"
        autoCompaction = .default
        driver = ExecDriver()
        stopsUnitsOnShutdown = false
        join = config.join
        joinToken = config.joinToken
        reboot = config.reboot ?? RebootSettings()
        fleetLockListen = config.fleetLockListen
        if config.overlay ?? true {
            var overlay = OverlaySettings()
            if let prefix = config.networkPrefix { overlay.prefix = prefix }
            if let file = config.subnetFile { overlay.subnetFile = file }
            overlay.interface = config.iface
            overlay.ipMasquerade = config.ipMasquerade ?? false
            self.overlay = overlay
        }
        self.logger = logger
    }
}
