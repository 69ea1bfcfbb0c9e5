import ArgumentParser
import FlotillaEtcd
import FlotillaStore
import Foundation
import Logging
import ServiceLifecycle

/// `flotilla-bench memory-store --listen HOST:PORT`: the in-memory reference store behind the
/// same etcd v3 gRPC server as `flotilla store serve`. Not durable and not for use: it is the
/// baseline that shows what the gRPC layer alone costs, so `flotilla-bench store` figures can
/// be split into "server RPC stack" and "SQLite store" (scripts/bench-store runs it as a third
/// endpoint).
struct StoreBenchMemoryServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory-store",
        abstract: "Serve the in-memory store over the etcd v3 gRPC API (a benchmark baseline; nothing is kept).")

    @Option(help: "Address to serve on, HOST:PORT (port 0 picks a free port).")
    var listen: String = "127.0.0.1:0"

    func run() async throws {
        let (host, port): (String, Int)
        do { (host, port) = try HostPort.parse(listen, setting: "--listen") } catch { throw ValidationError(error.description) }
        let server = EtcdServer(store: InMemoryStore(), configuration: .init(host: host, port: port, name: "memory"))
        // The server stops on SIGTERM or SIGINT.
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: Logger(label: "flotilla-bench")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let bound = try await server.listeningPort()
            FileHandle.standardOutput.write(Data("flotilla-bench memory-store: serving on \(host):\(bound) (etcd v3 API, in memory)\n".utf8))
            try await tasks.waitForAll()
        }
    }
}
