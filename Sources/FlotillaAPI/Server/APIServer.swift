import FlotillaModel
import FlotillaStore
import Hummingbird
import Logging
import Prometheus

/// The HTTP/JSON API every agent serves (`/v1/…`): apply, plan, status, machines, logs,
/// start/stop/unload/destroy, events, health. Any agent answers for the whole cluster: it
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

    /// Creates a server; nothing listens until ``run(onListening:)``.
    public init(store: any KeyValueStore, layout: StoreLayout, machineID: String, logs: any LogSource,
                host: String = "127.0.0.1", port: Int = APIClient.defaultPort, metrics: PrometheusCollectorRegistry? = nil) {
        self.store = store; self.layout = layout; self.machineID = machineID; self.logs = logs
        self.host = host; self.port = port; self.metrics = metrics
    }

    /// The Hummingbird application (a `Service`, for a `ServiceGroup`, which shuts it down
    /// gracefully); `onListening` hears the bound port once it accepts connections.
    public func application(logger: Logger = Logger(label: "flotilla.api"),
                            onListening: @escaping @Sendable (Int) async -> Void = { _ in })
        -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        router.add(middleware: UnroutedPathMiddleware())
        router.add(middleware: MetricsMiddleware())
        let routes = RouteTable(router: router)
        APIRoutes(store: store, layout: layout, machineID: machineID, logs: logs).register(on: routes)
        if let metrics {
            routes.get("metrics") { _, _ in
                var buffer: [UInt8] = []
                metrics.emit(into: &buffer)
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
            }
        }
        routes.refuseOtherMethods()
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "flotilla"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
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
    func handle(_ request: Request, context: BasicRequestContext,
                next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            throw APIError.notFound("no route serves \(request.method) \(request.uri.path); the API's paths are under /v1 (see docs/architecture.md)")
        }
    }
}
