import ArgumentParser
import FlotillaEtcd
import FlotillaSecurity
import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import Logging
import ServiceLifecycle

/// `flotilla store …`: the embedded store on its own.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Run or inspect the embedded etcd-compatible store.",
        subcommands: [StoreServeCommand.self]
    )
}

/// `flotilla store serve --data-dir DIR --listen HOST:PORT`: the embedded store (SQLite) over
/// the etcd v3 gRPC API, so etcdctl and any etcd client can use it. The store and the server
/// run as one `ServiceGroup`; SIGTERM or SIGINT stops the server first, then the store.
struct StoreServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the embedded store over the etcd v3 gRPC API (etcdctl works against it).",
        discussion: """
            Data lives in DIR/store.sqlite (WAL, fsync'd before a write is acknowledged). \
            History is compacted automatically as with etcd's --auto-compaction-mode and \
            --auto-compaction-retention; the default keeps 5 minutes of history (periodic 5m), \
            and compacted space is reused and returned to the file system. \
            With --cert-file, --key-file and --trusted-ca-file (etcd's names) it serves TLS \
            only and requires every client to present a certificate signed by that CA, as etcd \
            does with --client-cert-auth; without them it speaks plaintext, as etcd does. \
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

    @Option(name: .customLong("initial-advertise-peer-urls"),
            help: "Peer URLs reported by 'member list', comma-separated (informational: there is no peer protocol; the default is etcd's).")
    var peerURLs: String = EtcdServer.Configuration.defaultPeerURLs.joined(separator: ",")

    @Option(name: .customLong("cert-file"), help: "The server's TLS certificate (PEM); needs --key-file and --trusted-ca-file.")
    var certificateFile: String?

    @Option(name: .customLong("key-file"), help: "The server certificate's key (PEM).")
    var keyFile: String?

    @Option(name: .customLong("trusted-ca-file"),
            help: "The CA (PEM) that must have signed every client's certificate: clients without one are refused.")
    var trustedCAFile: String?

    @OptionGroup var compaction: CompactionOptions
    @OptionGroup var logging: LogOptions

    func validate() throws {
        _ = try address()
        _ = try tls()
        _ = try compaction.policy()
        guard !peers.isEmpty, peers.allSatisfy({ $0.hasPrefix("http://") || $0.hasPrefix("https://") }) else {
            throw ValidationError("--initial-advertise-peer-urls must be http:// or https:// URLs separated by commas, got '\(peerURLs)'")
        }
    }

    private var peers: [String] {
        peerURLs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The TLS settings the three files make; nil for plaintext (none given).
    private func tls() throws -> EtcdTLS? {
        let given = [certificateFile, keyFile, trustedCAFile].compactMap { $0 }
        if given.isEmpty { return nil }
        guard let certificateFile, let keyFile, let trustedCAFile else {
            throw ValidationError("--cert-file, --key-file and --trusted-ca-file go together: TLS here always checks client certificates")
        }
        func read(_ path: String, _ flag: String) throws -> String {
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("cannot read \(flag) \(path): \(error.localizedDescription)")
            }
        }
        let tls = EtcdTLS(caPEM: try read(trustedCAFile, "--trusted-ca-file"), certificatePEM: try read(certificateFile, "--cert-file"),
                          keyPEM: try read(keyFile, "--key-file"))
        if let problem = PEMCheck.problem(certificatePEM: tls.certificatePEM ?? "", keyPEM: tls.keyPEM ?? "", caPEM: tls.caPEM,
                                          flags: ("--cert-file \(certificateFile)", "--key-file \(keyFile)", "--trusted-ca-file \(trustedCAFile)")) {
            throw ValidationError(problem)
        }
        return tls
    }

    private func address() throws -> (host: String, port: Int) {
        do { return try HostPort.parse(listen, setting: "--listen") } catch { throw ValidationError(error.description) }
    }

    func run() async throws {
        _ = logging.bootstrap()
        let (host, port) = try address()
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create --data-dir \(dataDirectory): \(error.localizedDescription)")
        }
        let logger = Logger(label: "flotilla.store")
        let policy = try compaction.policy()
        let store = try SQLiteStore(directory: dataDirectory, options: .init(autoCompaction: policy, logger: logger))
        let tls = try tls()
        var configuration = EtcdServer.Configuration(
            host: host, port: port, name: name, clientURLs: ["\(tls == nil ? "http" : "https")://\(HostPort.format(host: host, port: port))"],
            peerURLs: peers)
        configuration.tls = tls
        let server = EtcdServer(store: store, configuration: configuration)
        // Services stop in reverse order: the server before the store it serves.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: store), .init(service: server)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let bound: Int
            do {
                bound = try await server.listeningPort()
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw ValidationError("cannot listen on \(listen): \(error)")
            }
            FileHandle.standardOutput.write(Data("flotilla store: serving \(dataDirectory)/store.sqlite on \(HostPort.format(host: host, port: bound)) (etcd v3 API\(tls == nil ? "" : " over TLS, client certificates required"), auto-compaction \(policy))\n".utf8))
            try await tasks.waitForAll()
        }
        printError("flotilla store: stopped")
    }
}

/// `--auto-compaction-mode` and `--auto-compaction-retention`, etcd's flags for how much
/// history the embedded store keeps (`store serve` and `agent`).
struct CompactionOptions: ParsableArguments {
    @Option(name: .customLong("auto-compaction-mode"),
            help: "Automatic compaction of the embedded store: 'periodic' (keep a duration of history, the default), 'revision' (keep a number of revisions) or 'off'.")
    var mode: String?

    @Option(name: .customLong("auto-compaction-retention"),
            help: "History to keep: for periodic a duration (5m, 1h, 90s) or a number of hours, default 5m; for revision a count, default 10000. 0 turns compaction off.")
    var retention: String?

    /// Whether either flag was given.
    var isSet: Bool { mode != nil || retention != nil }

    /// The policy the two flags give, or a validation error naming them.
    func policy() throws -> AutoCompaction {
        do {
            return try AutoCompaction.parse(mode: mode ?? "periodic", retention: retention)
        } catch let error as AutoCompactionError {
            throw ValidationError(error.description)
        }
    }
}
