import Foundation
import FlotillaAgent
import FlotillaAPI
import FlotillaController
import FlotillaModel
import FlotillaNetwork
import FlotillaSecurity
import FlotillaStore
import Logging
import ServiceLifecycle

/// One machine's agent, made ready to run: the store (embedded SQLite served over the etcd v3
/// API, or a client of a real etcd cluster), the HTTP API, the supervisor, status publishing,
/// membership under a lease, the assignment feed and the controller (leads when elected).
///
/// ``make(_:)`` gets the machine's certificates (``NodeCredentials``: has them, joins, or
/// bootstraps the cluster), opens the store and reserves its server's port, picks the API's port and
/// starts the fence watchdog, so every address is known before anything runs; ``services`` are then run
/// in one `ServiceGroup` (the `agent` and `dev` commands, benchmarks). The group starts them
/// together and, on a graceful shutdown (SIGTERM, SIGINT), stops them in reverse order:
/// controller, assignment feed, membership, status publisher, supervisor, API, store.
///
/// Units keep running across a stop: the next agent adopts them (``Supervisor``) — unless
/// ``NodeConfiguration/stopsUnitsOnShutdown``, when the feed stops every unit first.
package final class Node: Sendable {
    /// Where a node can be reached.
    package struct Endpoints: Sendable, Hashable {
        /// The machine ID.
        package var machineID: String
        /// Base URL of the HTTP API.
        package var api: String
        /// The embedded store's `host:port`, when this node serves one.
        package var store: String?
        /// The join token, when this node just bootstrapped the cluster.
        package var joinToken: String?
    }

    /// The settings.
    package let configuration: NodeConfiguration
    /// The cluster CA as this node has it (with its key on the machine that signs).
    package let ca: ClusterCA
    /// Where the node is reachable once its services run.
    package let endpoints: Endpoints
    /// The node's services in dependency order (a `ServiceGroup` shuts them down in reverse).
    package let services: [ServiceGroupConfiguration.ServiceConfiguration]
    /// Whether the node stopped because its certificates are due (``CertificateRenewal``): the
    /// caller starts it again, and the new start renews them.
    package var restartForRenewal: Bool { renewal.restartRequested }
    private let renewal: CertificateRenewal
    private let backend: StoreBackend

    private init(configuration: NodeConfiguration, ca: ClusterCA, endpoints: Endpoints,
                 services: [ServiceGroupConfiguration.ServiceConfiguration], renewal: CertificateRenewal, backend: StoreBackend) {
        self.configuration = configuration
        self.ca = ca
        self.endpoints = endpoints
        self.services = services
        self.renewal = renewal
        self.backend = backend
    }

    /// Returns once the embedded store this node serves takes connections (its services must
    /// be running): other nodes of the same process that use this store are made after it.
    package func storeListening() async throws {
        try await backend.serverListening()
    }

    /// Opens the store, reserves its server's and the API's addresses and starts the fence
    /// watchdog; nothing else runs before ``services`` do.
    package static func make(_ configuration: NodeConfiguration) async throws -> Node {
        var c = configuration
        // Settings checked before anything is made or started.
        let fleetLock = try c.fleetLockListen.map { try HostPort.parse($0, setting: "FleetLock listen address") }
        let machineID = try MachineIdentity.load(stateDirectory: URL(fileURLWithPath: c.stateDirectory), override: c.machineID,
                                                   osFile: c.osMachineIDFile)
        var logger = c.logger
        logger[metadataKey: "machine"] = "\(machineID.prefix(8))"
        let layout = StoreLayout(prefix: c.prefix)
        let start = try await NodeCredentials.start(c, machineID: machineID, logger: logger)
        if c.storeEndpoints.isEmpty { c.storeEndpoints = start.storeEndpoints }
        var backend = try await StoreBackend.open(c, tls: try NodeCredentials.storeTLS(c, start.certificates), logger: logger)
        do {
            let address = try NodeAPI.Address(c)
            var joinToken: String?
            let certificates: MachineCertificates
            if let existing = start.certificates {
                certificates = try await backend.setUp { store in
                    try await NodeCredentials.confirm(existing, c, store: store, layout: layout, machineID: machineID, logger: logger)
                }
            } else {
                let made = try await backend.setUp { store in
                    try await NodeCredentials.bootstrap(c, store: store, layout: layout, machineID: machineID, apiURL: address.url)
                }
                certificates = made.certificates
                joinToken = made.joinToken
                logger.info("bootstrapped a new cluster", metadata: ["ca": "\(made.certificates.ca.fingerprint.prefix(16))"])
            }
            backend = try backend.serving(c, try .server(certificates))
            let security = APISecurity(certificates: certificates, storeEndpoints: backend.endpointsForJoiners(c))
            let api = try NodeAPI(c, address: address, store: backend.store, layout: layout, machineID: machineID,
                                  security: security, logger: logger)
            let watchdog = c.fenceWatchdog.map { FenceWatchdogProcess(executable: $0, node: c, machineID: machineID, logger: logger) }
            try watchdog?.start()
            var supervision = SupervisorConfiguration(machine: machineID, stateDirectory: c.stateDirectory)
            supervision.fenceFiles = watchdog?.files
            let overlayState = OverlayState()
            if c.overlay != nil { supervision.networks = InstanceNetworks(overlay: overlayState) }
            supervision.logger = logger.labelled("flotilla.supervisor")
            let supervisor = Supervisor(configuration: supervision, driver: c.driver)
            let measured = UsageProbe.capacity(directory: c.stateDirectory)
            var metadata = c.metadata
            if c.overlay != nil { metadata.add(StackSpec.overlayMetadata.key, StackSpec.overlayMetadata.value) }
            let record = MachineRecord(
                id: machineID, hostname: ProcessInfo.processInfo.hostName, apiURL: api.url, metadata: metadata,
                capacity: Resources(cpu: c.cpu ?? measured.cpu, memory: c.memory ?? measured.memory, disk: c.disk ?? measured.disk),
                startedAt: Date().timeIntervalSince1970, version: FlotillaVersion.current)
            let leaseEvents = LeaseEvents()
            let publisher = StatusPublisher(store: backend.store, layout: layout, machineID: machineID,
                                            changes: supervisor.changes, leaseEvents: leaseEvents.subscribe())
            let feed = AssignmentFeed(store: backend.store, layout: layout, machineID: machineID, supervisor: supervisor,
                                      leaseEvents: leaseEvents.subscribe(), stopsUnitsOnShutdown: c.stopsUnitsOnShutdown,
                                      logger: logger.labelled("flotilla.assignments"))
            let fenceFiles = watchdog?.files
            let membership = Membership(
                store: backend.store, layout: layout, record: record, settings: .init(ttl: c.ttl), events: leaseEvents,
                logger: logger.labelled("flotilla.membership"), clock: ContinuousClock(),
                unitsRunning: { await supervisor.statuses().filter { $0.state == .running }.count },
                leaseAliveUntil: { deadline in fenceFiles?.writeDeadline(deadline, agent: getpid()) })
            var loop = ReconcileLoop.Settings()
            loop.storm = c.storm
            let controller = Controller(store: backend.store, layout: layout, machineID: machineID, ttl: c.ttl,
                                        settings: loop, logger: logger.labelled("flotilla.controller"))
            let renewal = CertificateRenewal(certificates: certificates, logger: logger)
            let overlay = c.overlay.map {
                OverlayNetwork(store: backend.store, settings: $0, layout: layout, machineID: machineID,
                               logger: logger.labelled("flotilla.network"), clock: ContinuousClock(), state: overlayState)
            }
            var parts: [(any Service, String)] = []
            if let watchdog { parts.append((watchdog, "fence-watchdog")) }
            parts += backend.services
            parts += [(api, "api"), (supervisor, "supervisor"), (publisher, "status-publisher"),
                      (membership, "membership"), (feed, "assignment-feed"), (controller, "controller"),
                      (renewal, "certificate-renewal")]
            if c.reboot.strategy != .off {
                parts.append((RebootAgent(settings: c.reboot, machineID: machineID, stateDirectory: c.stateDirectory, store: backend.store,
                                          layout: layout, logger: logger.labelled("flotilla.reboot"), clock: ContinuousClock()), "reboot"))
            }
            if let (host, port) = fleetLock {
                parts.append((FleetLockServer(store: backend.store, layout: layout, machineID: machineID, host: host, port: port,
                                              logger: logger.labelled("flotilla.fleetlock")), "fleetlock"))
            }
            if let overlay {
                parts.append((overlay, "overlay-network"))
                parts.append((DiscoveryDNS(store: backend.store, layout: layout, overlay: overlayState,
                                           logger: logger.labelled("flotilla.dns"), clock: ContinuousClock()), "discovery-dns"))
            }
            // A part that ends or fails shuts the others down gracefully, in reverse order.
            let services = parts.map { service, name in
                ServiceGroupConfiguration.ServiceConfiguration(
                    service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "\(name) \(machineID.prefix(8))")
            }
            logger.info("agent starting", metadata: ["api": "\(api.url)", "store": "\(backend.summary)"])
            return Node(configuration: c, ca: certificates.ca,
                        endpoints: Endpoints(machineID: machineID, api: api.url, store: backend.servedAddress, joinToken: joinToken),
                        services: services, renewal: renewal, backend: backend)
        } catch {
            await backend.close()
            throw error
        }
    }
}

extension Logger {
    /// A logger for another component: `label`, with this one's level and metadata.
    func labelled(_ label: String) -> Logger {
        var copy = Logger(label: label)
        copy.logLevel = logLevel
        for (key, value) in handler.metadata { copy[metadataKey: key] = value }
        return copy
    }
}
