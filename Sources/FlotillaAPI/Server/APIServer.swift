import FlotillaModel
import FlotillaStore
import Hummingbird
import Logging

/// The HTTP/JSON API every agent serves (`/v1/…`): apply, plan, status, machines, logs,
/// start/stop/unload/destroy, events, health. Any agent answers for the whole cluster: it
/// reads and writes the store; only logs live on the machine that runs the unit, and other
/// agents forward those requests to it (``MachineRecord/apiURL``).
///
/// Errors are `{"error": "…"}` with a 4xx/5xx status and a sentence that says what to do.
public struct APIServer: Sendable {
    /// The store.
    public let store: any KeyValueStore
    /// Where records live.
    public let layout: StoreLayout
    /// This machine's ID.
    public let machineID: String
    /// This machine's unit journals.
    public let logs: any LogSource
    /// Address to listen on.
    public let host: String
    /// Port to listen on; 0 picks a free one (reported to `onListening`).
    public let port: Int

    /// Creates a server; nothing listens until ``run(onListening:)``.
    public init(store: any KeyValueStore, layout: StoreLayout, machineID: String, logs: any LogSource,
                host: String = "127.0.0.1", port: Int = APIClient.defaultPort) {
        self.store = store; self.layout = layout; self.machineID = machineID; self.logs = logs
        self.host = host; self.port = port
    }

    /// The Hummingbird application (a `Service`, for a `ServiceGroup`); `onListening` hears
    /// the bound port once it accepts connections.
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in })
        -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        APIRoutes(store: store, layout: layout, machineID: machineID, logs: logs).register(on: router)
        var logger = Logger(label: "flotilla.api")
        // HummingbirdCore logs "Waiting on child channel: CancellationError()" at error level
        // on every shutdown by cancellation; failures that matter surface as thrown errors.
        logger.logLevel = .critical
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "flotilla"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until the calling task is cancelled (or a service group shuts it down).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onListening: onListening).run()
    }
}
