import ArgumentParser
import FlotillaEtcd
import FlotillaStoreSQLite
import Foundation

/// `flotilla store …`: the embedded store on its own.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Run or inspect the embedded etcd-compatible store.",
        subcommands: [StoreServeCommand.self]
    )
}

/// `flotilla store serve --data-dir DIR --listen HOST:PORT`: the embedded store (SQLite) over
/// the etcd v3 gRPC API, so etcdctl and any etcd client can use it.
struct StoreServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the embedded store over the etcd v3 gRPC API (etcdctl works against it).",
        discussion: """
            Data lives in DIR/store.sqlite (WAL, fsync'd before a write is acknowledged). \
            Stop with Ctrl-C or SIGTERM. Example: \
            flotilla store serve --data-dir /var/lib/flotilla/store --listen 127.0.0.1:2379, then \
            ETCDCTL_API=3 etcdctl --endpoints 127.0.0.1:2379 put /hello world
            """
    )

    @Option(name: .customLong("data-dir"), help: "Directory of the store's database (created if missing).")
    var dataDirectory: String

    @Option(name: .long, help: "Address to serve on, HOST:PORT (port 0 picks a free port).")
    var listen: String = "127.0.0.1:2379"

    @Option(name: .long, help: "Member name reported by 'member list'.")
    var name: String = "flotilla"

    func validate() throws {
        guard Self.address(listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT with a port from 0 to 65535, got '\(listen)'")
        }
    }

    static func address(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        let (host, port) = Self.address(listen)!
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create --data-dir \(dataDirectory): \(error.localizedDescription)")
        }
        let store = try SQLiteStore(directory: dataDirectory)
        let server = EtcdServer(store: store, configuration: .init(
            host: host, port: port, name: name, clientURLs: ["http://\(listen)"]))
        let bound: Int
        do {
            bound = try await server.start()
        } catch {
            await store.close()
            throw ValidationError("cannot listen on \(listen): \(error)")
        }
        FileHandle.standardOutput.write(Data("flotilla store: serving \(dataDirectory)/store.sqlite on \(host):\(bound) (etcd v3 API)\n".utf8))
        await Self.waitForTermination()
        printError("flotilla store: stopping")
        await server.stop()
        await store.close()
    }

    /// Returns once SIGINT or SIGTERM arrives.
    static func waitForTermination() async {
        let signals = [SIGINT, SIGTERM]
        for signal in signals { Foundation.signal(signal, SIG_IGN) }
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let sources = signals.map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
        for await _ in stream { break }
        for source in sources { source.cancel() }
    }
}
