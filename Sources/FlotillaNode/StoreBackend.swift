import Foundation
import FlotillaAgent
import FlotillaEtcd
import FlotillaStore
import FlotillaStoreSQLite

/// The store a node uses: the embedded SQLite store, which it also serves over the etcd v3
/// API so other agents and etcdctl can join, or a client of an etcd cluster.
struct StoreBackend: Sendable {
    let store: any KeyValueStore
    let description: String
    /// `host:port` of the embedded store's server.
    let servedAddress: String?
    private let server: EtcdServer?
    private let sqlite: SQLiteStore?
    private let client: EtcdStore?
    /// The embedded store's service (lease expiry, compaction). Until the node runs as one
    /// `ServiceGroup`, it runs in this task; ``close()`` cancels it, which closes the store.
    private let housekeeping: Task<Void, Never>?

    static func open(_ c: NodeConfiguration) async throws -> StoreBackend {
        if !c.storeEndpoints.isEmpty {
            let endpoints = c.storeEndpoints.map { $0.replacingOccurrences(of: "etcd://", with: "").replacingOccurrences(of: "http://", with: "") }
            let client = try EtcdStore(endpoints: endpoints)
            return StoreBackend(store: client, description: "etcd " + endpoints.joined(separator: ","), servedAddress: nil,
                                server: nil, sqlite: nil, client: client, housekeeping: nil)
        }
        let directory = c.stateDirectory + "/store"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let sqlite = try SQLiteStore(directory: directory)
        let (host, port) = try NodeConfiguration.address(c.storeListen, setting: "store listen address")
        let server = EtcdServer(store: sqlite, configuration: .init(host: host, port: port, name: "flotilla"))
        do {
            let bound = try await server.start()
            let housekeeping = Task { _ = try? await sqlite.run() }
            return StoreBackend(store: sqlite, description: "embedded \(directory) served on \(host):\(bound)",
                                servedAddress: "\(host):\(bound)", server: server, sqlite: sqlite, client: nil,
                                housekeeping: housekeeping)
        } catch {
            await sqlite.close()
            throw AgentError("cannot serve the embedded store on \(host):\(port): \(error); pick another --store-listen or stop what uses that port")
        }
    }

    /// Stops the server, then the store's service (which closes the store), then the client.
    func close() async {
        await server?.stop()
        housekeeping?.cancel()
        await housekeeping?.value
        await sqlite?.close()
        await client?.close()
    }
}
