import Foundation
import FlotillaAgent
import FlotillaEtcd
import FlotillaSecurity
import FlotillaStore
import FlotillaStoreSQLite
import Logging
import ServiceLifecycle

/// The store a node uses: the embedded SQLite store, which it also serves over the etcd v3
/// API (TLS, client certificates of the cluster CA required) so other agents and etcdctl can
/// reach it, or a client of an etcd cluster (TLS when `--store-cacert` is given or the
/// endpoints are `https://`).
///
/// Its ``services`` come first in the node's group, so they are the last to stop: the
/// embedded store's (lease expiry, automatic compaction; closes the store when it ends), then
/// its server's (stops serving before the store closes) — or the etcd client's (its
/// connections and watch streams). What the node does with the store before its group runs
/// goes through ``setUp(_:)``.
struct StoreBackend: Sendable {
    let store: any KeyValueStore
    /// What it is, for the start-up log line.
    let description: String
    /// `host:port` of the embedded store's server, once ``serving(_:_:)`` reserved it.
    private(set) var servedAddress: String?
    private let sqlite: SQLiteStore?
    private var server: StoreServer?
    private let client: EtcdStore?

    /// The services to run, in dependency order.
    var services: [(any Service, String)] {
        if let sqlite, let server { return [(sqlite, "store"), (server, "store-server")] }
        return client.map { [($0, "etcd-client")] } ?? []
    }

    /// Runs `body` with the store before the node's group runs: the embedded store itself, or
    /// a short-lived client of the etcd endpoints (the node's own client connects once its
    /// service runs).
    func setUp<T>(_ body: (any KeyValueStore) async throws -> T) async throws -> T {
        if let client { return try await EtcdStore.with(configuration: client.configuration) { try await body($0) } }
        return try await body(store)
    }

    /// Connects to the etcd endpoints (with `tls` when given), or opens the embedded store;
    /// the embedded store is served by ``serving(_:_:)`` once the node has its
    /// certificates.
    static func open(_ c: NodeConfiguration, tls: EtcdTLS?, logger: Logger) async throws -> StoreBackend {
        let logger = logger.labelled("flotilla.store")
        if !c.storeEndpoints.isEmpty {
            if tls == nil { logger.warning("the store is reached without TLS; give --store-cacert (and --store-cert, --store-key) for an etcd that serves TLS") }
            let client = try EtcdStore(configuration: .init(endpoints: c.storeEndpoints, transportSecurity: tls?.clientSecurity ?? .plaintext))
            return StoreBackend(store: client, description: "etcd " + c.storeEndpoints.joined(separator: ",") + (tls == nil ? "" : " (TLS)"),
                                servedAddress: nil, sqlite: nil, server: nil, client: client)
        }
        let directory = c.stateDirectory + "/store"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let sqlite = try SQLiteStore(directory: directory, options: .init(autoCompaction: c.autoCompaction, logger: logger))
        return StoreBackend(store: sqlite, description: "embedded \(directory)", servedAddress: nil, sqlite: sqlite, server: nil, client: nil)
    }

    /// Reserves `--store-listen` for the embedded store's server (a port in use is reported
    /// here, before anything runs; the server binds it when its service runs) with `tls`;
    /// unchanged for an etcd client.
    func serving(_ c: NodeConfiguration, _ tls: EtcdTLS) throws -> StoreBackend {
        guard let sqlite else { return self }
        let (host, port): (String, Int)
        do { (host, port) = try HostPort.parse(c.storeListen, setting: "store listen address") } catch { throw AgentError(error.description) }
        let reservation: PortReservation
        do {
            reservation = try PortReservation(host: host, port: port)
        } catch {
            throw AgentError("cannot serve the embedded store on \(HostPort.format(host: host, port: port)): \(error); pick another --store-listen or stop what uses that port")
        }
        var configuration = EtcdServer.Configuration(host: host, port: reservation.port, name: "flotilla")
        configuration.tls = tls
        var served = self
        served.server = StoreServer(server: EtcdServer(store: sqlite, configuration: configuration), reservation: reservation)
        served.servedAddress = HostPort.format(host: host, port: reservation.port)
        return served
    }

    /// Returns once the embedded store's server listens (at once for an etcd client); throws
    /// its bind error.
    func serverListening() async throws {
        _ = try await server?.server.listeningPort()
    }

    /// What the start-up line says.
    var summary: String { servedAddress.map { "\(description) served on \($0) (TLS, client certificates required)" } ?? description }

    /// The store endpoints a joining machine is told: the etcd cluster's, or this embedded
    /// store's URL at the address others reach it (the advertised host when it listens on
    /// every address).
    func endpointsForJoiners(_ c: NodeConfiguration) -> [String] {
        guard let servedAddress, let (host, port) = try? HostPort.parse(servedAddress, setting: "store") else { return c.storeEndpoints }
        var reachable = host
        if host == "0.0.0.0" || host == "::" {
            reachable = c.advertise.flatMap { URL(string: $0)?.host } ?? ProcessInfo.processInfo.hostName
        }
        return ["https://" + HostPort.format(host: reachable.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)]
    }

    /// Closes what ``open(_:tls:logger:)`` opened, for a node that never ran.
    func close() async {
        await sqlite?.close()
        await client?.close()
    }
}

extension EtcdTLS {
    /// A machine's TLS toward the store: the cluster CA and its client certificate.
    static func client(_ certificates: MachineCertificates) throws -> EtcdTLS {
        EtcdTLS(caPEM: certificates.ca.certificatePEM, certificatePEM: try certificates.client.serializeAsPEM().pemString,
                keyPEM: certificates.clientKey.pemRepresentation)
    }

    /// The embedded store's TLS: the machine's server certificate; clients need one of the cluster CA.
    static func server(_ certificates: MachineCertificates) throws -> EtcdTLS {
        EtcdTLS(caPEM: certificates.ca.certificatePEM, certificatePEM: try certificates.server.serializeAsPEM().pemString,
                keyPEM: certificates.serverKey.pemRepresentation)
    }
}

/// The embedded store's server, holding its port from ``StoreBackend/serving(_:_:)`` until it listens.
private struct StoreServer: Service, Sendable {
    let server: EtcdServer
    let reservation: PortReservation

    func run() async throws {
        defer { withExtendedLifetime(reservation) {} }
        try await server.run()
    }
}
