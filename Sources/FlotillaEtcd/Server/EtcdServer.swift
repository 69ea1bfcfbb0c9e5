import FlotillaStore
import GRPCCore
import GRPCNIOTransportHTTP2
import ServiceLifecycle
import Synchronization

/// Serves any ``KeyValueStore`` over the etcd v3 gRPC API (KV, Watch, Lease,
/// Cluster.MemberList, Maintenance), so etcdctl and etcd clients can use it, plus the standard
/// gRPC health service (`grpc.health.v1.Health`: "" and each etcd service name are SERVING
/// while the server runs, NOT_SERVING once shutdown begins).
///
/// Maintenance.Snapshot streams the store's own snapshot when the store is a
/// ``SnapshotSource`` (the SQLite store: a SQLite file, not etcd's bbolt file, followed by its
/// SHA-256 as etcd does) and is Unimplemented otherwise. Watches honour `progress_notify`
/// (every ``Configuration/progressNotifyInterval``) and `fragment`.
/// Not served: Auth, the member-changing Cluster RPCs, MoveLeader.
///
/// As a swift-service-lifecycle `Service` (list it after its store, so it stops first):
///
/// ```swift
/// let server = EtcdServer(store: store, configuration: .init(port: 0))
/// let group = ServiceGroup(configuration: .init(services: [.init(service: store), .init(service: server)],
///                                               gracefulShutdownSignals: [.sigterm], logger: logger))
/// // elsewhere in the same task group: let port = try await server.listeningPort()
/// try await group.run()
/// ```
///
/// Outside a group, run it as a child task and end it with ``stop()``.
public final class EtcdServer: Service {
    /// Where and as whom the server listens.
    public struct Configuration: Sendable {
        /// Host to bind (an IPv4 address or `localhost`).
        public var host: String
        /// TCP port; 0 picks a free one (see ``EtcdServer/listeningPort()``).
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
        /// Peer URLs shown by MemberList (informational: there is no peer protocol). The
        /// default is etcd's default `--initial-advertise-peer-urls`, `http://localhost:2380`,
        /// so `etcdctl member list` reads as it does against a default single-member etcd.
        public var peerURLs: [String]
        /// How long ``EtcdServer/stop()`` lets open calls finish before cutting them
        /// (watch and keep-alive streams never finish by themselves).
        public var shutdownGrace: Duration
        /// How often a watch created with `progress_notify` that saw no events gets an empty
        /// response carrying the current revision (etcd's
        /// `--experimental-watch-progress-notify-interval`, 10 minutes by default); up to a
        /// tenth more is added at random so that watches do not all fire together.
        public var progressNotifyInterval: Duration
        /// A Watch stream whose client has taken nothing for ``watchStallAfter`` (30 s by
        /// default) while more than ``watchQueueLimit`` bytes of responses wait for it (64 MiB)
        /// ends with etcd's `Canceled "etcdserver: watch canceled"`.
        public var watchQueueLimit: Int = WatchService.defaultQueueLimit
        public var watchStallAfter: Duration = WatchService.defaultStallAfter

        /// Nil: plaintext (etcd's default, `flotilla store serve`). Otherwise TLS with this
        /// server certificate, requiring every client's certificate signed by the CA, like
        /// etcd's `--client-cert-auth` (an agent's embedded store).
        public var tls: EtcdTLS? = nil

        /// etcd's default advertised peer URL.
        public static let defaultPeerURLs = ["http://localhost:2380"]

        public init(host: String = "127.0.0.1", port: Int = 2379, name: String = "flotilla",
                    clusterID: UInt64 = 0, memberID: UInt64 = 0, version: String = "3.4.23",
                    clientURLs: [String] = [], peerURLs: [String] = Configuration.defaultPeerURLs, shutdownGrace: Duration = .milliseconds(500),
                    progressNotifyInterval: Duration = .seconds(600)) {
            self.host = host; self.port = port; self.name = name
            self.clusterID = clusterID; self.memberID = memberID; self.version = version
            self.clientURLs = clientURLs; self.peerURLs = peerURLs; self.shutdownGrace = shutdownGrace
            self.progressNotifyInterval = progressNotifyInterval
        }
    }

    private struct Running {
        var server: GRPCServer<HTTP2ServerTransport.Posix>
        var port: Int
        var health: HealthStatus
    }

    /// Callers of ``listeningPort()`` waiting for the server to bind.
    private enum Listening {
        case waiting([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case failed(any Error)
    }

    private let store: any KeyValueStore
    private let configuration: Configuration
    private let running = Mutex<Running?>(nil)
    private let stalledWatches = StalledWatchCount()
    private let listening = Mutex(Listening.waiting([]))
    private let stopping = Latch()
    private let started = Mutex(false)
    private let ended = Latch()

    /// Creates a server for `store`; nothing listens until ``run()``.
    public init(store: any KeyValueStore, configuration: Configuration = Configuration()) {
        self.store = store
        self.configuration = configuration
    }

    /// Watch streams cut off so far because their client stopped reading
    /// (``Configuration/watchQueueLimit``, ``Configuration/watchStallAfter``).
    public var stalledWatchStreams: Int { stalledWatches.value }

    /// The header identity (cluster and member IDs) this server stamps on responses.
    package var stamp: HeaderStamp {
        HeaderStamp(clusterID: configuration.clusterID != 0 ? configuration.clusterID : stableID("cluster/" + configuration.name),
                    memberID: configuration.memberID != 0 ? configuration.memberID : stableID("member/" + configuration.name))
    }

    /// The bound port while running.
    public var port: Int? { running.withLock { $0?.port } }

    /// Serves until the task is cancelled, a graceful shutdown begins (inside a
    /// `ServiceGroup`) or ``stop()`` is called; then stops listening, lets open calls finish
    /// for ``Configuration/shutdownGrace``, cuts the rest (watch and keep-alive streams) and
    /// returns. Throws when the address cannot be bound (``listeningPort()`` callers get the
    /// same error). Call it once.
    public func run() async throws {
        started.withLock { $0 = true }
        defer { ended.open() }
        let (server, health) = makeServer()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await server.serve() }
            let port: Int
            do {
                port = try await boundPort(server)
            } catch {
                server.beginGracefulShutdown()
                group.cancelAll()
                listened(.failure(error))
                throw error
            }
            health.set(.serving, for: [""] + Self.servedNames)
            running.withLock { $0 = Running(server: server, port: port, health: health) }
            listened(.success(port))
            await withGracefulShutdownHandler {
                await stopping.wait()
            } onGracefulShutdown: {
                self.stopping.open()
            }
            running.withLock { $0 = nil }
            health.shutDown()
            server.beginGracefulShutdown()
            let grace = configuration.shutdownGrace
            group.addTask { try? await Task.sleep(for: grace) }
            _ = try? await group.next()
            group.cancelAll()
        }
    }

    /// The port the server listens on, once it does (waits for ``run()`` to bind; throws its
    /// bind error).
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Int, any Error>) in
            let known = listening.withLock { state -> Result<Int, any Error>? in
                switch state {
                case .waiting(let waiters):
                    state = .waiting(waiters + [waiter])
                    return nil
                case .bound(let port): return .success(port)
                case .failed(let error): return .failure(error)
                }
            }
            if let known { waiter.resume(with: known) }
        }
    }

    /// Records the outcome of binding and resumes ``listeningPort()`` callers.
    private func listened(_ outcome: Result<Int, any Error>) {
        let waiters = listening.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .waiting(let waiters) = state else { return [] }
            switch outcome {
            case .success(let port): state = .bound(port)
            case .failure(let error): state = .failed(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }

    /// The gRPC server with the etcd and health services.
    private func makeServer() -> (GRPCServer<HTTP2ServerTransport.Posix>, HealthStatus) {
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: configuration.host == "localhost" ? "127.0.0.1" : configuration.host, port: configuration.port),
            transportSecurity: configuration.tls?.serverSecurity ?? .plaintext, config: Self.transportConfig())
        let health = HealthStatus()
        _ = WatchService.openStreams() // exposed at 0 before the first stream
        let etcdServices = services(port: { [weak self] in self?.port ?? 0 })
        return (GRPCServer(transport: transport, services: etcdServices + [HealthService(health: health)],
                           interceptors: [RequestMetrics()]), health)
    }

    /// The port `server` bound, or an error naming the address.
    private func boundPort(_ server: GRPCServer<HTTP2ServerTransport.Posix>) async throws -> Int {
        let failure = "etcd server: could not bind \(configuration.host):\(configuration.port)"
        do {
            guard let address = try await server.listeningAddress, let port = address.ipv4?.port ?? address.ipv6?.port else {
                throw StoreError.unavailable(failure)
            }
            return port
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable("\(failure): \(error)")
        }
    }

    /// Ends ``run()`` the way a graceful shutdown does and returns once it has returned (at
    /// once when it never ran).
    public func stop() async {
        stopping.open()
        guard started.withLock({ $0 }) else { return }
        await ended.waitIgnoringCancellation()
    }

    private func services(port: @escaping @Sendable () -> Int) -> [any RegistrableRPCService] {
        let stamp = self.stamp
        let identity = ServerIdentity(stamp: stamp, name: configuration.name, version: configuration.version,
                                      peerURLs: configuration.peerURLs, configuredClientURLs: configuration.clientURLs,
                                      host: configuration.host, boundPort: port,
                                      scheme: configuration.tls == nil ? "http" : "https")
        return [KVService(store: store, stamp: stamp),
                WatchService(store: store, stamp: stamp, progressNotifyInterval: configuration.progressNotifyInterval,
                             queueLimit: configuration.watchQueueLimit, stallAfter: configuration.watchStallAfter,
                             stalled: stalledWatches),
                LeaseService(store: store, stamp: stamp), ClusterService(store: store, identity: identity),
                MaintenanceService(store: store, identity: identity)]
    }

    /// The fully qualified names of the etcd services served, as health checks name them.
    static let servedNames = [Etcdserverpb_KV.descriptor, Etcdserverpb_Watch.descriptor, Etcdserverpb_Lease.descriptor,
                              Etcdserverpb_Cluster.descriptor, Etcdserverpb_Maintenance.descriptor].map(\.fullyQualifiedService)

    /// The largest gRPC message received: etcd's request limit plus its 512 KiB allowance
    /// for gRPC's own overhead.
    static let maxMessageBytes = StoreLimits.maxRequestBytes + 512 * 1024

    /// Transport settings: etcd's receive limit (1.5 MiB request + 512 KiB gRPC overhead,
    /// answered as etcd does: ``OversizeMessageGuard``),
    /// and a keepalive policy that never sends GOAWAY to clients pinging idle watch or lease
    /// streams (grpc-swift's default allows one ping per 5 minutes and strikes out after 2
    /// faster ones; etcdctl pings every 10 s). The server pings idle clients every 60 s to
    /// drop dead connections.
    static func transportConfig() -> HTTP2ServerTransport.Posix.Config {
        .defaults { config in
            config.rpc.maxRequestPayloadSize = maxMessageBytes
            // The transport's only per-stream hook (named for debugging); StoreBadInputTests pins
            // what it brings: RESOURCE_EXHAUSTED with grpc-go's text instead of a reset.
            config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
                stream.eventLoop.makeCompletedFuture {
                    try stream.pipeline.syncOperations.addHandler(OversizeMessageGuard(limit: maxMessageBytes), position: .first)
                }
            }
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
