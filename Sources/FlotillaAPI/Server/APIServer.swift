import FlotillaController
import FlotillaModel
import FlotillaStore
import FlotillaSecurity
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import Prometheus

/// The HTTP/JSON API every agent serves (`/v1/…`) over HTTPS only (the machine's server
/// certificate, TLS 1.2 or newer): apply, plan, status, machines, logs, start/stop/unload/
/// destroy, events, health, tokens, join. Every request needs credentials — a bearer token or a
/// machine's client certificate — and a role that may do it (``Gatekeeper``); every change is
/// recorded as an `audit` event. Any agent answers for the whole cluster: it
/// reads and writes the store; only logs live on the machine that runs the unit, and other
/// agents forward those requests to it (``MachineRecord/apiURL``).
///
/// Errors are `{"error": "…"}` with a 4xx/5xx status and a sentence that says what to do,
/// also for a path no route serves (404) and a method a path does not serve (405, `Allow`). `GET /metrics` renders the process's metrics in the
/// Prometheus text format; every request is counted by route, method and status
/// (`hb_requests`, `http_server_request_duration_seconds`).
public struct APIServer: Sendable {
    public let store: any KeyValueStore
    public let layout: StoreLayout
    /// This machine's ID.
    public let machineID: String
    /// This machine's unit journals.
    public let logs: any LogSource
    /// Address to listen on.
    public let host: String
    /// Port to listen on; 0 picks a free one (reported to `onListening`).
    public let port: Int
    /// What `GET /metrics` renders; nil: that path answers 404.
    public let metrics: PrometheusCollectorRegistry?
    /// The certificates it serves and trusts, and what joining machines are told.
    public let security: APISecurity
    /// How long a connection may send nothing, and a request body may take.
    public var timeouts = APITimeouts()

    /// Creates a server; nothing listens until ``run(onListening:)``.
    public init(store: any KeyValueStore, layout: StoreLayout, machineID: String, logs: any LogSource, security: APISecurity,
                host: String = "127.0.0.1", port: Int = APIClient.defaultPort, metrics: PrometheusCollectorRegistry? = nil) {
        self.store = store; self.layout = layout; self.machineID = machineID; self.logs = logs; self.security = security
        self.host = host; self.port = port; self.metrics = metrics
    }

    /// The Hummingbird application (a `Service`, for a `ServiceGroup`, which shuts it down
    /// gracefully); `onListening` hears the bound port once it accepts connections.
    public func application(logger: Logger = Logger(label: "flotilla.api"),
                            onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws
        -> Application<RouterResponder<APIRequestContext>> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: Gatekeeper(store: store, layout: layout, failures: FailedLogins(limit: security.failedLoginLimit),
                                          audit: AuditTrail(store: store, layout: layout, machineID: machineID, logger: logger),
                                          hosts: HostCheck(serverCertificate: security.certificates.server)))
        router.add(middleware: UnroutedPathMiddleware())
        let routes = RouteTable(router: router)
        register(on: routes)
        routes.refuseOtherMethods()
        return Application(
            router: router,
            server: try .tls(.http1(configuration: .init(additionalChannelHandlers: [RequestDeadline(limit: timeouts.requestTimeAmount)],
                                                        idleTimeout: timeouts.idleTimeAmount)),
                             tlsConfiguration: TLSSettings.server(security.certificates)),
            configuration: .init(address: .hostname(host, port: port), serverName: "flotilla"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Every method and path the API serves (path parameters as `:name`), in registration order.
    public func routes() -> [(method: String, path: String)] {
        let table = RouteTable(router: Router(context: APIRequestContext.self))
        register(on: table)
        return table.served
    }

    /// Registers every route on `routes`.
    private func register(on routes: RouteTable) {
        APIRoutes(store: store, layout: layout, machineID: machineID, logs: logs,
                  access: AccessRoutes(store: store, layout: layout, security: security),
                  reboots: RebootLocks(store: store, layout: layout, source: machineID),
                  bodyTimeout: timeouts.body).register(on: routes)
        if let metrics {
            routes.get("metrics") { _, _ in
                var buffer: [UInt8] = []
                metrics.emit(into: &buffer)
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
            }
        }
    }

    /// Serves until the calling task is cancelled. Only critical messages are logged:
    /// HummingbirdCore logs "Waiting on child channel: CancellationError()" at error level on
    /// every stop by cancellation (a service group's graceful shutdown logs nothing).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var logger = Logger(label: "flotilla.api")
        logger.logLevel = .critical
        try await application(logger: logger, onListening: onListening).run()
    }
}

/// Answers a path that no route serves with the API's JSON error (`404`, `{"error": …}`)
/// instead of an empty body.
struct UnroutedPathMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: APIRequestContext,
                next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            throw APIError.notFound("no route serves \(request.method) \(request.uri.path); the API's paths are under /v1 (see docs/architecture.md)")
        }
    }
}

/// The API's time limits on a connection, so a client that stalls cannot hold one open for good.
public struct APITimeouts: Sendable {
    /// A connection that sends nothing this long — before its TLS handshake, between requests,
    /// or in the middle of one — is closed.
    public var idle: Duration
    /// A request body that has not fully arrived this long after its route started reading
    /// it gets 408 (a body sent a byte at a time never idles).
    public var body: Duration
    /// A request that has not fully arrived this long after its head: the connection is
    /// closed, whatever the route and the answer (``RequestDeadline``). Longer than ``body``,
    /// so that a 408 gets out first.
    public var request: Duration

    public init(idle: Duration = .seconds(60), body: Duration = .seconds(60), request: Duration = .seconds(65)) {
        self.idle = idle; self.body = body; self.request = request
    }

    var idleTimeAmount: TimeAmount { TimeAmount(idle) }
    var requestTimeAmount: TimeAmount { TimeAmount(request) }
}
