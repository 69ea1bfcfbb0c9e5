import Foundation
import FlotillaAgent
import FlotillaEtcd
import FlotillaStore
import FlotillaStoreSQLite
import Logging
import ServiceLifecycle

/// The store a node uses: the embedded SQLite store, which it also serves over the etcd v3
/// API so other agents and etcdctl can join, or a client of an etcd cluster.
///
/// Its ``services`` come first in the node's group, so they are the last to stop: the
/// embedded store's (lease expiry, automatic compaction; closes the store when it ends), then
/// its server's (stops serving before the store closes) — or the etcd client's.
struct StoreBackend {
    let store: any KeyValueStore
    /// What it is, for the start-up log line.
    let description: String
    /// `host:port` of the embedded store's server.
    let servedAddress: String?
    private let sqlite: SQLiteStore?
    private let server: EtcdServer?
    private let client: EtcdStore?

    /// The services to run, in dependency order.
    var services: [(any Service, String)] {
        if let sqlite, let server { return [(sqlite, "store"), (server, "store-server")] }
        return client.map { [(EtcdClientService(client: $0), "etcd-client")] } ?? []
    }

    /// Connects to the etcd endpoints, or opens the embedded store and binds its server (so
    /// its address is known, and a port in use is reported, before anything runs).
    static func open(_ c: NodeConfiguration, logger: Logger) async throws -> StoreBackend {
        let logger = logger.labelled("flotilla.store")
        if !c.storeEndpoints.isEmpty {
            let client = try EtcdStore(endpoints: c.storeEndpoints)
            return StoreBackend(store: client, description: "etcd " + c.storeEndpoints.joined(separator: ","), servedAddress: nil,
                                sqlite: nil, server: nil, client: client)
        }
        let directory = c.stateDirectory + "/store"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (host, port): (String, Int)
        do { (host, port) = try HostPort.parse(c.storeListen, setting: "store listen address") } catch { throw AgentError(error.description) }
        let sqlite = try SQLiteStore(directory: directory, options: .init(autoCompaction: c.autoCompaction, logger: logger))
        let server = EtcdServer(store: sqlite, configuration: .init(host: host, port: port, name: "flotilla"))
        do {
            let address = HostPort.format(host: host, port: try await server.start())
            return StoreBackend(store: sqlite, description: "embedded \(directory) served on \(address)", servedAddress: address,
                                sqlite: sqlite, server: server, client: nil)
        } catch {
            await sqlite.close()
            throw AgentError("cannot serve the embedded store on \(HostPort.format(host: host, port: port)): \(error); pick another --store-listen or stop what uses that port")
        }
    }

    /// The store endpoints a joining machine is told: the etcd cluster's, or this embedded
    /// store's URL at the address others reach it (the advertised host when it listens on
    /// every address).
    func endpointsForJoiners(_ c: NodeConfiguration) -> [String] {
        guard let servedAddress, let (host, port) = try? HostPort.parse(servedAddress, setting: "store") else { return c.storeEndpoints }
        var reachable = host
        if host == "0.0.0.0" || host == "::" {
            reachable = c.advertise.flatMap { URL(string: $0)?.host } ?? ProcessInfo.processInfo.hostName
        }
        return ["http://" + HostPort.format(host: reachable.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)]
    }

    /// Closes what ``open(_:logger:)`` opened, for a node that never ran.
    func close() async {
        await server?.stop()
        await sqlite?.close()
        await client?.close()
    }
}

/// Closes the etcd client once the node shuts down (its connections run until then).
struct EtcdClientService: Service {
    let client: EtcdStore

    func run() async {
        try? await gracefulShutdown()
        await client.close()
    }
}
