import FlotillaAgent
import FlotillaAPI
import FlotillaModel
import FlotillaStore
import Hummingbird
import Logging
import ServiceLifecycle

/// The node's HTTPS API, a `Service`: the Hummingbird application and the URL other machines
/// reach it at, known before it runs — port 0 is resolved to a free port, reserved
/// (``PortReservation``) until the application stops, when the node is made.
struct NodeAPI: Service {
    /// Where the API listens and is reached, known before it runs.
    struct Address {
        /// `--advertise`, or `https://<host>:<port>`.
        let url: String
        let host: String
        let port: Int
        let reservation: PortReservation?

        init(_ c: NodeConfiguration) throws {
            let (host, requested) = try HostPort.parse(c.apiListen, setting: "API listen address")
            reservation = requested == 0 ? try PortReservation(host: host) : nil
            self.host = host
            port = reservation?.port ?? requested
            url = c.advertise ?? "https://\(HostPort.format(host: host, port: port))"
        }
    }

    /// `--advertise`, or `https://<host>:<port>`.
    let url: String
    private let application: Application<RouterResponder<APIRequestContext>>
    private let reservation: PortReservation?

    init(_ c: NodeConfiguration, address: Address, store: any KeyValueStore, layout: StoreLayout, machineID: String,
         security: APISecurity, logger: Logger) throws {
        let server = APIServer(store: store, layout: layout, machineID: machineID,
                               logs: JournalLogSource(directory: c.stateDirectory + "/journal"), security: security,
                               host: address.host, port: address.port, metrics: c.metrics)
        application = try server.application(logger: logger.labelled("flotilla.api"))
        url = address.url
        reservation = address.reservation
    }

    /// Serves until the group shuts down; then the reserved port is let go.
    func run() async throws {
        defer { withExtendedLifetime(reservation) {} }
        try await application.run()
    }
}
