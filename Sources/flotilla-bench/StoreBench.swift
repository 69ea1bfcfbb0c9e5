import ArgumentParser
import FlotillaEtcd
import FlotillaStore
import Foundation

/// `flotilla-bench store --endpoints A[,B]`: drives etcd v3 endpoints (the embedded store
/// served by `flotilla store serve`, a real etcd, anything speaking the etcd v3 gRPC API)
/// through ``EtcdStore`` and prints throughput and watch latency side by side, with the
/// first/second ratio when there are two or more.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measure puts, ranges, create-if-absent txns and watch latency on etcd v3 endpoints.",
        discussion: """
            Each endpoint gets the same phases, one after the other: sequential puts (1 client, \
            each awaited), concurrent puts, single-key linearizable ranges and create-if-absent \
            txns (each --clients tasks over --connections HTTP/2 connections, one EtcdStore per \
            connection), then watch latency (--watchers watches on one key spread over the \
            connections; a writer on its own connection puts the key --watch-puts times, one at \
            a time; latency = put sent -> event received by each watcher). It writes keys of \
            --key-size bytes starting with 'p', 'c' and 'w' and leaves them: use a scratch store.
            """)

    /// Output format.
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: "Comma-separated etcd v3 endpoints, each host:port.")
    var endpoints: String

    @Option(help: "Comma-separated names for the endpoints, in order (default: the endpoints as given).")
    var labels: String?

    @Option(help: "Seconds per throughput phase.")
    var duration: Double = 10

    @Option(help: "Operations per throughput phase (instead of --duration).")
    var count: Int?

    @Option(name: .customLong("key-size"), help: "Key size in bytes (at least 6).")
    var keySize: Int = 8

    @Option(name: .customLong("value-size"), help: "Value size in bytes.")
    var valueSize: Int = 256

    @Option(help: "Concurrent client tasks in the concurrent phases.")
    var clients: Int = 100

    @Option(help: "HTTP/2 connections the concurrent clients and the watchers share.")
    var connections: Int = 10

    @Option(help: "Watchers in the watch-latency phase.")
    var watchers: Int = 1000

    @Option(name: .customLong("watch-puts"), help: "Puts the writer makes in the watch-latency phase.")
    var watchPuts: Int = 200

    /// The phases, in the order they run.
    enum Phase: String, CaseIterable { case sequential, concurrent, range, txn, watch }

    @Option(help: "Phases to run, comma-separated: sequential,concurrent,range,txn,watch (default: all).")
    var phases: String = Phase.allCases.map(\.rawValue).joined(separator: ",")

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: Format = .text

    var endpointList: [String] { endpoints.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    var labelList: [String] { labels?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? endpointList }

    var phaseSet: Set<Phase> { Set(phases.split(separator: ",").compactMap { Phase(rawValue: $0.trimmingCharacters(in: .whitespaces)) }) }

    func validate() throws {
        let unknown = phases.split(separator: ",").filter { Phase(rawValue: $0.trimmingCharacters(in: .whitespaces)) == nil }
        guard unknown.isEmpty, !phaseSet.isEmpty else {
            throw ValidationError("--phases takes names from \(Phase.allCases.map(\.rawValue).joined(separator: ",")); got '\(phases)'")
        }
        guard !endpointList.isEmpty, endpointList.allSatisfy({ !$0.isEmpty }) else {
            throw ValidationError("--endpoints needs at least one host:port, e.g. --endpoints 127.0.0.1:2379,127.0.0.1:2479")
        }
        guard labelList.count == endpointList.count else {
            throw ValidationError("--labels has \(labelList.count) names for \(endpointList.count) endpoints; give one name per endpoint")
        }
        guard keySize >= 6 else { throw ValidationError("--key-size must be at least 6 (a tag byte and a 5-digit number)") }
        guard valueSize >= 0, duration > 0, clients > 0, connections > 0, watchers > 0, watchPuts > 0, (count ?? 1) > 0 else {
            throw ValidationError("--value-size must be ≥ 0 and --duration, --count, --clients, --connections, --watchers, --watch-puts > 0")
        }
    }

    func run() async throws {
        var report = StoreBenchReport(keySize: keySize, valueSize: valueSize, clients: clients, connections: connections,
                                      watchers: watchers, watchPuts: watchPuts, endpoints: [])
        let limit: StoreBenchLimit = count.map { .count($0) } ?? .duration(.milliseconds(Int(duration * 1000)))
        for (endpoint, label) in zip(endpointList, labelList) {
            report.endpoints.append(try await measure(endpoint: endpoint, label: label, limit: limit))
        }
        report.compare()
        switch output {
        case .text: print("\n" + report.table(), terminator: "")
        case .json: print(try report.json(), terminator: "")
        }
    }

    /// Progress and per-phase detail: stdout for text, stderr for json (stdout is the document).
    private func note(_ line: String) {
        let data = Data((line + "\n").utf8)
        if output == .json { FileHandle.standardError.write(data) } else { FileHandle.standardOutput.write(data) }
    }

    private func measure(endpoint: String, label: String, limit: StoreBenchLimit) async throws -> StoreBenchFigures {
        do {
            return try await EtcdStore.with(configurations: Array(repeating: .init(endpoints: [endpoint]), count: connections + 1)) { all in
                try await measurePhases(stores: Array(all.dropLast()), writer: all[connections], endpoint: endpoint, label: label, limit: limit)
            }
        } catch {
            var reason = "\(error)"
            while reason.hasSuffix(".") { reason.removeLast() }
            throw StoreBenchFailure(message: "\(label) (\(endpoint)): \(reason). Is an etcd v3 endpoint listening there, and is it healthy?")
        }
    }

    private func measurePhases(stores: [EtcdStore], writer: EtcdStore, endpoint: String, label: String,
                        limit: StoreBenchLimit) async throws -> StoreBenchFigures {
        let keys = StoreBenchKeys(size: keySize)
        let value = Bytes(repeating: UInt8(ascii: "v"), count: valueSize)
        // Connect every connection before timing anything.
        for store in stores + [writer] { _ = try await store.range(RangeRequest(key: keys.key("p", 0))) }
        note("\(label) (\(endpoint)):")

        let selected = phaseSet
        var figures = StoreBenchFigures(label: label, endpoint: endpoint)
        let putKeys = StoreBenchCounter()
        let put: @Sendable (EtcdStore, Int) async throws -> Void = { store, _ in
            _ = try await store.put(PutRequest(key: keys.key("p", putKeys.next()), value: value))
        }
        if selected.contains(.sequential) {
            figures.sequentialPuts = try await storeBenchDrive(stores: [writer], clients: 1, limit: limit, put)
            note(detail("sequential puts", figures.sequentialPuts!, unit: "puts"))
        }
        if selected.contains(.concurrent) {
            figures.concurrentPuts = try await storeBenchDrive(stores: stores, clients: clients, limit: limit, put)
            note(detail("concurrent puts", figures.concurrentPuts!, unit: "puts"))
        }
        if selected.contains(.range) {
            // Ranges read keys the put phases wrote; without those, write 1,000 first (not timed).
            if putKeys.taken == 0 { _ = try await storeBenchDrive(stores: stores, clients: clients, limit: .count(1_000), put) }
            let written = putKeys.taken
            figures.ranges = try await storeBenchDrive(stores: stores, clients: clients, limit: limit) { store, _ in
                let response = try await store.range(RangeRequest(key: keys.key("p", Int.random(in: 0..<written))))
                guard response.kvs.count == 1 else { throw StoreError(.internal, "range of a written key found \(response.kvs.count) keys") }
            }
            note(detail("ranges (linearizable, 1 key)", figures.ranges!, unit: "ranges"))
        }
        if selected.contains(.txn) {
            figures.createTxns = try await storeBenchDrive(stores: stores, clients: clients, limit: limit) { store, sequence in
                let key = keys.key("c", sequence)
                let response = try await store.txn(TxnRequest(compare: [Compare(key: key, .createRevision(0), .equal)],
                                                              success: [.put(PutRequest(key: key, value: value))]))
                guard response.succeeded else { throw StoreError(.internal, "create-if-absent txn on a fresh key failed its compare") }
            }
            note(detail("create-if-absent txns", figures.createTxns!, unit: "txns"))
        }
        if selected.contains(.watch) {
            let watch = try await storeBenchWatchLatency(stores: stores, writer: writer, watchers: watchers, puts: watchPuts,
                                                         key: keys.key("w", 0), value: value)
            figures.watch = watch
            note("  watch latency: p50 \(ms(watch.p50Ms)), p99 \(ms(watch.p99Ms)), max \(ms(watch.maxMs)) "
                 + "(\(storeBenchGrouped(watch.deliveries)) deliveries, \(watch.missing) missing; "
                 + "\(watch.watchers) watchers over \(watch.connections) conns, \(watch.puts) puts)")
        }
        return figures
    }

    private func detail(_ name: String, _ phase: StoreBenchPhase, unit: String) -> String {
        "  \(name): \(storeBenchGrouped(Int(phase.perSecond.rounded()))) \(unit)/s (\(storeBenchGrouped(phase.operations)) in "
            + String(format: "%.1f s", phase.seconds) + "; p50 \(ms(phase.latencyP50Ms)), p99 \(ms(phase.latencyP99Ms)); "
            + "\(phase.clients) client\(phase.clients == 1 ? "" : "s") over \(phase.connections) conn\(phase.connections == 1 ? "" : "s"))"
    }

    private func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
}

/// A phase failed against an endpoint; printed as the error line, without the usage text.
struct StoreBenchFailure: Error, CustomStringConvertible {
    /// What failed, where, and what to check.
    var message: String
    var description: String { message }
}
