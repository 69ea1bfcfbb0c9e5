import FlotillaAgent
import FlotillaAPI
import FlotillaModel
import FlotillaStore
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// The node's HTTP API: the Hummingbird application (a `Service`) and the URL other machines
/// reach it at, known before it runs — port 0 is resolved to a free port when the node is made.
struct NodeAPI: Sendable {
    /// The application to run in the node's service group.
    let application: Application<RouterResponder<BasicRequestContext>>
    /// `--advertise`, or `http://<host>:<port>`.
    let url: String

    init(_ c: NodeConfiguration, store: any KeyValueStore, layout: StoreLayout, machineID: String, logger: Logger) throws {
        let (host, requested) = try HostPort.parse(c.apiListen, setting: "API listen address")
        let port = requested == 0 ? try Self.freePort(host: host) : requested
        let server = APIServer(store: store, layout: layout, machineID: machineID,
                               logs: JournalLogSource(directory: c.stateDirectory + "/journal"), host: host, port: port,
                               metrics: c.metrics)
        application = server.application(logger: logger.labelled("flotilla.api"))
        url = c.advertise ?? "http://\(HostPort.format(host: host, port: port))"
    }

    /// A port the kernel considers free on `host` now (bound and released at once).
    private static func freePort(host: String) throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: host, port: 0).wait()
        defer { try? channel.close().wait() }
        guard let port = channel.localAddress?.port else { throw AgentError("cannot find a free port on \(host)") }
        return port
    }
}
