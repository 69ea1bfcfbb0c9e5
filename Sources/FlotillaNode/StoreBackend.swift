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
/// A `Service` first in the node's group, so it is the last to stop: its ``run()`` waits for
/// the shutdown, then stops the server and closes the store or the client.
struct StoreBackend: Service {
    let store: any KeyValueStore
    /// What it is, for the start-up log line.
    let description: String
    /// `host:port` of the embedded store's server.
    let servedAddress: String?
    private let server: EtcdServer?
    private let sqlite: SQLiteStore?
    private let client: EtcdStore?
    private let logger: Logger

    /// Connects to the etcd endpoints, or opens the embedded store and binds its server.
    static func open(_ c: NodeConfiguration, logger: Logger) async throws -> StoreBackend {
        let logger = logger.labelled("flotilla.store")
        if !c.storeEndpoints.isEmpty {
            let client = try EtcdStore(endpoints: c.storeEndpoints)
            return StoreBackend(store: client, description: "etcd " + c.storeEndpoints.joined(separator: ","), servedAddress: nil,
                                server: nil, sqlite: nil, client: client, logger: logger)
        }
        let directory = c.stateDirectory + "/store"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (host, port): (String, Int)
        do { (host, port) = try HostPort.parse(c.storeListen, setting: "store listen address") } catch { throw AgentError(error.description) }
        let sqlite = try SQLiteStore(directory: directory)
        let server = EtcdServer(store: sqlite, configuration: .init(host: host, port: port, name: "flotilla"))
        do {
            let bound = try await server.start()
            let address = HostPort.format(host: host, port: bound)
            return StoreBackend(store: sqlite, description: "embedded \(directory) served on \(address)",
                                servedAddress: address, server: server, sqlite: sqlite, client: nil, logger: logger)
        } catch {
            await sqlite.close()
            throw AgentError("cannot serve the embedded store on \(HostPort.format(host: host, port: port)): \(error); pick another --store-listen or stop what uses that port")
        }
    }

    /// Waits for the group's shutdown (or cancellation), then closes.
    func run() async {
        try? await gracefulShutdown()
        await close()
        logger.debug("store closed")
    }

    /// Stops the server and closes the store or the client.
    func close() async {
        await server?.stop()
        await sqlite?.close()
        await client?.close()
    }
}
