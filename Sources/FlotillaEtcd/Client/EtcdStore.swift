import Foundation
import FlotillaStore
import GRPCCore
import GRPCNIOTransportHTTP2
import ServiceLifecycle
import Synchronization

/// A ``KeyValueStore`` backed by an etcd v3 cluster (or any server speaking the etcd v3 gRPC
/// API, such as ``EtcdServer``). Errors are ``StoreError`` values with etcd's texts, so they
/// compare equal to those of the other backends.
///
/// Several endpoints give failover (see ``Configuration/endpoints``).
///
/// The connections and watch streams run in ``run()``: as a `Service` of a `ServiceGroup`
/// (a graceful shutdown closes the store), or in the scope of
/// ``with(configuration:_:)``. Calls made before ``run()`` starts wait for it.
public final class EtcdStore: KeyValueStore, Service {
    /// How to reach the cluster.
    public struct Configuration: Sendable {
        /// `host:port` or `http(s)://host:port` of each member, tried in order. Reads fail
        /// over to the next endpoint when one is unavailable; writes are never retried
        /// (the failed server may have applied them) but later calls use the next endpoint.
        public var endpoints: [String]
        /// Plaintext by default; ``EtcdTLS/clientSecurity`` for an etcd (or embedded store)
        /// served over TLS, with a client certificate when it checks them.
        public var transportSecurity: HTTP2ClientTransport.Posix.TransportSecurity
        /// Client keepalive ping interval. 30 s is above etcd's 5 s minimum, so etcd never
        /// strikes the client out; pings are sent only while calls (watches, keep-alives) are
        /// open, so idle streams stay up through NATs and dead servers are noticed.
        public var keepaliveTime: Duration
        /// How long to wait for a ping ack before the connection counts as dead.
        public var keepaliveTimeout: Duration
        /// Largest request the client sends (etcd clientv3's `MaxCallSendMsgSize`, 2 MiB).
        /// A bigger Put or Txn fails before it is sent, with ResourceExhausted and gRPC's
        /// text, rather than being cut off by the server's receive limit.
        public var maxSendMessageBytes: Int

        public init(endpoints: [String], transportSecurity: HTTP2ClientTransport.Posix.TransportSecurity = .plaintext,
                    keepaliveTime: Duration = .seconds(30), keepaliveTimeout: Duration = .seconds(10),
                    maxSendMessageBytes: Int = 2 * 1024 * 1024) {
            self.endpoints = endpoints
            self.transportSecurity = transportSecurity
            self.keepaliveTime = keepaliveTime
            self.keepaliveTimeout = keepaliveTimeout
            self.maxSendMessageBytes = maxSendMessageBytes
        }
    }

    /// How it was configured.
    public let configuration: Configuration
    let endpoints: EtcdEndpoints
    let watches = Mutex<[UUID: WatchStream]>([:])
    let sendLimit: SendLimit
    /// The watch streams, children of ``run()``.
    let streams = ChildTasks()
    private let closing = Latch()
    private let started = Mutex(false)
    private let ended = Latch()

    /// A client of the configured endpoints; it connects once ``run()`` runs.
    public init(configuration: Configuration) throws {
        self.configuration = configuration
        endpoints = try EtcdEndpoints(configuration: configuration)
        sendLimit = SendLimit(bytes: configuration.maxSendMessageBytes)
    }

    /// A client of `endpoints` over plaintext; it connects once ``run()`` runs.
    public convenience init(endpoints: [String]) throws {
        try self.init(configuration: Configuration(endpoints: endpoints))
    }

    /// Runs `body` with a store of `configuration` whose connections run alongside it, and
    /// closes the store when `body` returns or throws.
    public static func with<T>(configuration: Configuration, _ body: (EtcdStore) async throws -> T) async throws -> T {
        try await with(configurations: [configuration]) { try await body($0[0]) }
    }

    /// Runs `body` with one store per configuration (each its own connections, as separate
    /// clients have), all closed when `body` returns or throws.
    public static func with<T>(configurations: [Configuration], _ body: ([EtcdStore]) async throws -> T) async throws -> T {
        let stores = try configurations.map { try EtcdStore(configuration: $0) }
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            for store in stores { group.addTask { await store.run() } }
            do {
                let result = try await body(stores)
                for store in stores { await store.close() }
                return result
            } catch {
                for store in stores { await store.close() }
                throw error
            }
        }
    }

    /// Runs the connections and watch streams until ``close()``, a graceful shutdown (inside a
    /// `ServiceGroup`) or cancellation. After a close, open calls get one second to finish;
    /// then they are cut. Call it once.
    public func run() async {
        started.withLock { $0 = true }
        defer { ended.open() }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await withDiscardingTaskGroup { running in
                        running.addTask { await self.endpoints.runConnections() }
                        running.addTask { await self.streams.run() }
                    }
                }
                group.addTask {
                    await self.closing.wait()
                    try? await Task.sleep(for: .seconds(1))
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.beginClose()
        }
    }

    /// Cancels every watch and closes the connections; returns once ``run()`` has returned
    /// (at once when it never ran).
    public func close() async {
        beginClose()
        guard started.withLock({ $0 }) else { return }
        await ended.waitIgnoringCancellation()
    }

    private func beginClose() {
        let open = watches.withLock { w -> [WatchStream] in defer { w = [:] }; return Array(w.values) }
        for watch in open { watch.cancel() }
        streams.finish()
        endpoints.beginShutdown()
        closing.open()
    }

    private func kv(_ client: EtcdEndpoints.Client) -> Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix> { .init(wrapping: client) }
    func lease(_ client: EtcdEndpoints.Client) -> Etcdserverpb_Lease.Client<HTTP2ClientTransport.Posix> { .init(wrapping: client) }

    public func range(_ request: RangeRequest) async throws -> RangeResponse {
        let options = endpoints.options
        return try await endpoints.call(idempotent: true) { client in
            RangeResponse(proto: try await kv(client).range(Etcdserverpb_RangeRequest(request), options: options))
        }
    }

    public func put(_ request: PutRequest) async throws -> PutResponse {
        let message = Etcdserverpb_PutRequest(request)
        try sendLimit.check(message, payload: request.key.count + request.value.count)
        return try await endpoints.call(idempotent: false) { client in
            PutResponse(proto: try await kv(client).put(message))
        }
    }

    public func deleteRange(_ request: DeleteRangeRequest) async throws -> DeleteRangeResponse {
        let options = endpoints.options
        return try await endpoints.call(idempotent: false) { client in
            DeleteRangeResponse(proto: try await kv(client).deleteRange(Etcdserverpb_DeleteRangeRequest(request), options: options))
        }
    }

    public func txn(_ request: TxnRequest) async throws -> TxnResponse {
        let message = Etcdserverpb_TxnRequest(request)
        try sendLimit.check(message, payload: SendLimit.payload(request))
        let options = endpoints.options
        return try await endpoints.call(idempotent: false) { client in
            TxnResponse(proto: try await kv(client).txn(message, options: options))
        }
    }

    public func compact(_ request: CompactionRequest) async throws -> ResponseHeader {
        try await endpoints.call(idempotent: false) { client in
            ResponseHeader(revision: try await kv(client).compact(Etcdserverpb_CompactionRequest(request)).header.revision)
        }
    }

    public func leaseGrant(ttl: Int64, id: Int64) async throws -> LeaseGrantResponse {
        let response = try await endpoints.call(idempotent: false) { client in
            try await lease(client).leaseGrant(.with { $0.ttl = ttl; $0.id = id })
        }
        if !response.error.isEmpty { throw StoreError(.internal, response.error) }
        return LeaseGrantResponse(header: ResponseHeader(revision: response.header.revision), id: response.id, ttl: response.ttl)
    }

    public func leaseRevoke(id: Int64) async throws -> ResponseHeader {
        try await endpoints.call(idempotent: false) { client in
            ResponseHeader(revision: try await lease(client).leaseRevoke(.with { $0.id = id }).header.revision)
        }
    }

    public func leaseTimeToLive(id: Int64, keys: Bool) async throws -> LeaseTimeToLiveResponse {
        let options = endpoints.options
        let r = try await endpoints.call(idempotent: true) { client in
            try await lease(client).leaseTimeToLive(.with { $0.id = id; $0.keys = keys }, options: options)
        }
        return LeaseTimeToLiveResponse(header: ResponseHeader(revision: r.header.revision), id: r.id, ttl: r.ttl,
                                       grantedTTL: r.grantedTtl, keys: r.keys.map { Bytes($0) })
    }

    public func leaseLeases() async throws -> LeaseLeasesResponse {
        let options = endpoints.options
        let r = try await endpoints.call(idempotent: true) { client in
            try await lease(client).leaseLeases(Etcdserverpb_LeaseLeasesRequest(), options: options)
        }
        return LeaseLeasesResponse(header: ResponseHeader(revision: r.header.revision), leases: r.leases.map(\.id))
    }

    /// Status of the current endpoint. The compact revision comes from HashKV (etcd's Status
    /// doesn't report it), which hashes the whole key space: keep status calls infrequent.
    public func status() async throws -> StoreStatus {
        let options = endpoints.options
        return try await endpoints.call(idempotent: true) { client in
            let maintenance = Etcdserverpb_Maintenance.Client(wrapping: client)
            let s = try await maintenance.status(Etcdserverpb_StatusRequest(), options: options)
            let hash = try await maintenance.hashKV(Etcdserverpb_HashKVRequest(), options: options)
            return StoreStatus(header: ResponseHeader(revision: s.header.revision), version: s.version, dbSize: s.dbSize,
                               dbSizeInUse: s.dbSizeInUse, compactRevision: max(0, hash.compactRevision))
        }
    }
}
