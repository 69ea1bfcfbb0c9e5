import FlotillaStore
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

/// Serves any ``KeyValueStore`` over the etcd v3 gRPC API (KV, Watch, Lease,
/// Cluster.MemberList, Maintenance), so etcdctl and etcd clients can use it, plus the standard
/// gRPC health service (`grpc.health.v1.Health`: "" and each etcd service name are SERVING
/// while the server runs, NOT_SERVING once ``stop()`` begins).
///
/// Maintenance.Snapshot streams the store's own snapshot when the store is a
/// ``SnapshotSource`` (the SQLite store: a SQLite file, not etcd's bbolt file, followed by its
/// SHA-256 as etcd does) and is Unimplemented otherwise. Watches honour `progress_notify`
/// (every ``Configuration/progressNotifyInterval``) and `fragment`.
/// Not served: Auth, the member-changing Cluster RPCs, MoveLeader. Usage:
///
/// ```swift
/// let server = EtcdServer(store: store, configuration: .init(port: 0))
/// let port = try await server.start()
/// ...
/// await server.stop()
/// ```
public final class EtcdServer: Sendable {
    /// Where and as whom the server listens.
    public struct Configuration: Sendable {
        /// Host to bind (an IPv4 address or `localhost`).
        public var host: String
        /// TCP port; 0 picks a free one (see ``EtcdServer/start()``).
        public var port: Int
        /// Member name shown by `etcdctl member list`.
        public var name: String
        /// Cluster ID in every header; 0 derives a stable one from `name`.
        public var clusterID: UInt64
        /// Member ID in every header (and Status `leader`); 0 derives a stable one from `name`.
        public var memberID: UInt64
        /// Version reported by Status: the etcd API level served. "3.4.23" keeps etcd 3.4
        /// clients (etcdctl 3.4) on their normal code paths.
        public var version: String
        /// Client URLs shown by MemberList; empty means `http://host:port` with the bound port.
        public var clientURLs: [String]
        /// Peer URLs shown by MemberList (informational: there is no peer protocol).
        public var peerURLs: [String]
        /// How long ``EtcdServer/stop()`` lets open calls finish before cutting them
        /// (watch and keep-alive streams never finish by themselves).
        public var shutdownGrace: Duration
        /// How often a watch created with `progress_notify` that saw no events gets an empty
        /// response carrying the current revision (etcd's
        /// `--experimental-watch-progress-notify-interval`, 10 minutes by default); up to a
        /// tenth more is added at random so that watches do not all fire together.
        public var progressNotifyInterval: Duration

        /// Creates a configuration.
        public init(host: String = "127.0.0.1", port: Int = 2379, name: String = "flotilla",
                    clusterID: UInt64 = 0, memberID: UInt64 = 0, version: String = "3.4.23",
                    clientURLs: [String] = [], peerURLs: [String] = [], shutdownGrace: Duration = .milliseconds(500),
                    progressNotifyInterval: Duration = .seconds(600)) {
            self.host = host; self.port = port; self.name = name
            self.clusterID = clusterID; self.memberID = memberID; self.version = version
            self.clientURLs = clientURLs; self.peerURLs = peerURLs; self.shutdownGrace = shutdownGrace
            self.progressNotifyInterval = progressNotifyInterval
        }
    }

    private struct Running {
        var server: GRPCServer<HTTP2ServerTransport.Posix>
        var task: Task<Void, any Error>
        var port: Int
        var health: HealthStatus
    }

    private let store: any KeyValueStore
    private let configuration: Configuration
    private let running = Mutex<Running?>(nil)

    /// Creates a server for `store`; nothing listens until ``start()``.
    public init(store: any KeyValueStore, configuration: Configuration = Configuration()) {
        self.store = store
        self.configuration = configuration
    }

    /// The header identity (cluster and member IDs) this server stamps on responses.
    package var stamp: HeaderStamp {
        HeaderStamp(clusterID: configuration.clusterID != 0 ? configuration.clusterID : stableID("cluster/" + configuration.name),
                    memberID: configuration.memberID != 0 ? configuration.memberID : stableID("member/" + configuration.name))
    }

    /// The bound port while running.
    public var port: Int? { running.withLock { $0?.port } }

    /// Starts listening and returns the bound port. Throws if the address can't be bound.
    @discardableResult
    public func start() async throws -> Int {
        if let port { return port }
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: configuration.host == "localhost" ? "127.0.0.1" : configuration.host, port: configuration.port),
            transportSecurity: .plaintext, config: Self.transportConfig())
        let health = HealthStatus()
        let etcdServices = services(port: { [weak self] in self?.port ?? 0 })
        let server = GRPCServer(transport: transport, services: etcdServices + [HealthService(health: health)])
        let task = Task { try await server.serve() }
        guard let address = try await server.listeningAddress, let port = address.ipv4?.port ?? address.ipv6?.port else {
            task.cancel()
            throw StoreError.unavailable("etcd server: could not bind \(configuration.host):\(configuration.port)")
        }
        health.set(.serving, for: [""] + Self.servedNames)
        running.withLock { $0 = Running(server: server, task: task, port: port, health: health) }
        return port
    }

    /// Stops listening, lets open calls finish for ``Configuration/shutdownGrace``, then cuts
    /// the rest (open watches and keep-alive streams), and returns when the server is down.
    public func stop() async {
        guard let current = running.withLock({ r -> Running? in defer { r = nil }; return r }) else { return }
        current.health.shutDown()
        current.server.beginGracefulShutdown()
        let grace = configuration.shutdownGrace
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = try? await current.task.value }
            group.addTask { try? await Task.sleep(for: grace) }
            await group.next()
            current.task.cancel()
            group.cancelAll()
        }
        _ = try? await current.task.value
    }

    private func services(port: @escaping @Sendable () -> Int) -> [any RegistrableRPCService] {
        let stamp = self.stamp
        let identity = ServerIdentity(stamp: stamp, name: configuration.name, version: configuration.version,
                                      peerURLs: configuration.peerURLs, configuredClientURLs: configuration.clientURLs,
                                      host: configuration.host, boundPort: port)
        return [KVService(store: store, stamp: stamp),
                WatchService(store: store, stamp: stamp, progressNotifyInterval: configuration.progressNotifyInterval),
                LeaseService(store: store, stamp: stamp), ClusterService(store: store, identity: identity),
                MaintenanceService(store: store, identity: identity)]
    }

    /// The fully qualified names of the etcd services served, as health checks name them.
    static let servedNames = [Etcdserverpb_KV.descriptor, Etcdserverpb_Watch.descriptor, Etcdserverpb_Lease.descriptor,
                              Etcdserverpb_Cluster.descriptor, Etcdserverpb_Maintenance.descriptor].map(\.fullyQualifiedService)

    /// Transport settings: etcd's receive limit (1.5 MiB request + 512 KiB gRPC overhead),
    /// and a keepalive policy that never sends GOAWAY to clients pinging idle watch or lease
    /// streams (grpc-swift's default allows one ping per 5 minutes and strikes out after 2
    /// faster ones; etcdctl pings every 10 s). The server pings idle clients every 60 s to
    /// drop dead connections.
    static func transportConfig() -> HTTP2ServerTransport.Posix.Config {
        .defaults { config in
            config.rpc.maxRequestPayloadSize = StoreLimits.maxRequestBytes + 512 * 1024
            config.connection.keepalive = .init(
                time: .seconds(60), timeout: .seconds(20),
                clientBehavior: .init(minPingIntervalWithoutCalls: .milliseconds(500), allowWithoutCalls: true))
        }
    }
}

/// A stable non-zero 64-bit ID from a name (FNV-1a).
func stableID(_ name: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return hash == 0 ? 1 : hash
}
