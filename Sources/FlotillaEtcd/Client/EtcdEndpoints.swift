import FlotillaStore
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

/// The connections of an ``EtcdStore``: one gRPC client per endpoint (their connections run
/// in ``runConnections()``, a child of the store's ``EtcdStore/run()``), and the endpoint
/// currently in use.
///
/// Failover policy: a call goes to the current endpoint. When it fails as *unavailable*
/// (connection refused or lost, server shutting down), the store moves to the next endpoint.
/// Idempotent calls (reads, lease time-to-live/list, status, watch creation, keep-alive)
/// are then retried on each remaining endpoint once. Writes (Put, DeleteRange, Txn,
/// Compact, LeaseGrant, LeaseRevoke) are never retried: the first server may have applied
/// them before the connection broke, so the caller gets ``StoreError`` `unavailable` and
/// decides (a Txn guarded by a mod-revision compare is safe to repeat).
final class EtcdEndpoints: Sendable {
    typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

    /// Endpoint texts, as configured.
    let names: [String]
    private let clients: [Client]
    private let current = Mutex(0)

    init(configuration: EtcdStore.Configuration) throws {
        guard !configuration.endpoints.isEmpty else { throw StoreError.unavailable("etcd client: no endpoints") }
        names = configuration.endpoints
        var clients: [Client] = []
        for endpoint in configuration.endpoints {
            let (host, port) = try Self.parse(endpoint)
            let transport = try HTTP2ClientTransport.Posix(
                target: Self.target(host: host, port: port), transportSecurity: configuration.transportSecurity,
                config: .defaults { config in
                    config.connection.keepalive = .init(time: configuration.keepaliveTime,
                                                        timeout: configuration.keepaliveTimeout, allowWithoutCalls: false)
                    config.backoff = .init(initial: .milliseconds(100), max: .seconds(5), multiplier: 1.6, jitter: 0.2)
                    // etcd pings once per request; see ServerPingAnswering for why we answer them ourselves.
                    config.channelDebuggingCallbacks.onCreateTCPConnection = { ServerPingAnswering.install(on: $0) }
                })
            clients.append(GRPCClient(transport: transport))
        }
        self.clients = clients
    }

    /// Runs every client's connections until ``beginShutdown()`` and the calls still open
    /// have finished, or until cancelled.
    func runConnections() async {
        await withDiscardingTaskGroup { group in
            for client in clients {
                group.addTask { try? await client.runConnections() }
            }
        }
    }

    /// An IP address as an address target (with TLS, its certificate's IP entries are checked
    /// and no name goes into SNI, which cannot carry an IP), a name as a DNS target.
    static func target(host: String, port: Int) -> any ResolvableTarget {
        if host.contains(":") { return ResolvableTargets.IPv6.ipv6(address: host, port: port) }
        if host.split(separator: ".").count == 4, host.allSatisfy({ $0.isNumber || $0 == "." }) {
            return ResolvableTargets.IPv4.ipv4(address: host, port: port)
        }
        return ResolvableTargets.DNS.dns(host: host, port: port)
    }

    /// Splits `host:port`, `http://host:port` or `https://host:port` (``HostPort``).
    static func parse(_ endpoint: String) throws -> (String, Int) {
        do {
            let (host, port) = try HostPort.parse(endpoint, setting: "etcd client: endpoint")
            return (host, port)
        } catch {
            throw StoreError(.invalidArgument, error.description)
        }
    }

    /// Runs `body` against the current endpoint, failing over as the type comment describes.
    /// Errors come out as ``StoreError``.
    func call<T: Sendable>(idempotent: Bool, _ body: (Client) async throws -> T) async throws -> T {
        let start = current.withLock { $0 }
        let attempts = idempotent ? clients.count : 1
        var lastError: StoreError = .unavailable("etcd client: no endpoint answered")
        for attempt in 0..<attempts {
            let index = (start + attempt) % clients.count
            do {
                return try await body(clients[index])
            } catch {
                let storeError = StoreError.from(error)
                guard storeError.code == .unavailable, StoreError.knownErrors[storeError.message] == nil else { throw storeError }
                lastError = storeError
                current.withLock { if $0 == index { $0 = (index + 1) % clients.count } }
            }
        }
        throw lastError
    }

    /// Call options: fail fast while an endpoint is down so failover can move on, and accept
    /// responses of any size etcd sends (its own client allows up to 2 GiB; grpc-swift applies
    /// this limit, 4 MiB by default, to received messages). What we send is checked separately
    /// (``SendLimit``).
    var options: CallOptions {
        var options = CallOptions.defaults
        options.waitForReady = false
        options.maxRequestMessageBytes = Int(Int32.max)
        return options
    }

    /// Lets the open calls finish and accepts no new ones; ``runConnections()`` then returns.
    func beginShutdown() {
        for client in clients { client.beginGracefulShutdown() }
    }
}
