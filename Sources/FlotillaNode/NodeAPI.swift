import FlotillaAgent
import FlotillaAPI
import FlotillaModel
import FlotillaStore
import Hummingbird
import Logging
import ServiceLifecycle

/// The node's HTTP API, a `Service`: the Hummingbird application and the URL other machines
/// reach it at, known before it runs — port 0 is resolved to a free port, reserved
/// (``PortReservation``) until the application stops, when the node is made.
struct NodeAPI: Service {
    /// `--advertise`, or `http://<host>:<port>`.
    let url: String
    private let application: Application<RouterResponder<BasicRequestContext>>
    private let reservation: PortReservation?

    init(_ c: NodeConfiguration, store: any KeyValueStore, layout: StoreLayout, machineID: String, logger: Logger) throws {
        let (host, requested) = try HostPort.parse(c.apiListen, setting: "API listen address")
        reservation = requested == 0 ? try PortReservation(host: host) : nil
        let port = reservation?.port ?? requested
        let server = APIServer(store: store, layout: layout, machineID: machineID,
                               logs: JournalLogSource(directory: c.stateDirectory + "/journal"), host: host, port: port,
                               metrics: c.metrics)
        application = server.application(logger: logger.labelled("flotilla.api"))
        url = c.advertise ?? "http://\(HostPort.format(host: host, port: port))"
    }

    /// Serves until the group shuts down; then the reserved port is let go.
    func run() async throws {
        defer { withExtendedLifetime(reservation) {} }
        try await application.run()
    }
}
