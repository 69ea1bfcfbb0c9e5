import FlotillaAPI
import FlotillaEtcd
import FlotillaModel
import FlotillaNode
import FlotillaStore
import FlotillaTesting
import Foundation
import Logging
import ServiceLifecycle

/// End-to-end throughput: N in-process agents (the real node code, with the fake driver),
/// one stack of M instances applied through the API, timed until every unit reports running
/// in the store; `runs` times, each on a fresh cluster, and the median.
///
/// Every run keeps its state until the last run is over. On an ext4 file system without a
/// journal (this machine's root), creating a file skips every inode freed in the last five
/// minutes (`recently_deleted`), one by one; removing a run's 10,000 journal files before the
/// next run would charge that scan, quadratic in the files removed, to the next run.
struct ThroughputBench {
    let agents: Int
    let instances: Int
    var runs = 3

    func run() async throws {
        let root = NSTemporaryDirectory() + "flotilla-bench-throughput-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        var rates: [Double] = []
        for index in 1...max(1, runs) {
            rates.append(try await once(root: "\(root)/run-\(index)"))
        }
        guard rates.count > 1 else { return }
        let median = rates.sorted()[rates.count / 2]
        figure("throughput: median of \(rates.count) runs", String(format: "%.0f instances/s", median), target: "≥ 5,000 instances/s")
        say("  (runs: \(rates.map { String(format: "%.0f", $0) }.joined(separator: ", ")) instances/s)")
    }

    /// One run on a fresh cluster under `root`; returns instances per second.
    private func once(root: String) async throws -> Double {
        try await HollowCluster.run(agents: agents, root: root) { client, store in
            try await measure(client: client, storeAddress: store, root: root)
        }
    }

    /// Measures one run with an observer connected to the first agent's embedded store.
    private func measure(client: APIClient, storeAddress: String, root: String) async throws -> Double {
        let tls = try EtcdTLS.files(ca: "\(root)/machine-1/tls/ca.crt", certificate: "\(root)/machine-1/tls/client.crt",
                                    key: "\(root)/machine-1/tls/client.key")
        return try await EtcdStore.with(configuration: .init(endpoints: [storeAddress], transportSecurity: tls.clientSecurity)) { observer in
            try await measure(client: client, observer: observer, root: root)
        }
    }

    /// Applies the stack and times it until every instance is assigned and running (the
    /// observer counts assignments and running statuses); returns instances per second.
    private func measure(client: APIClient, observer: EtcdStore, root: String) async throws -> Double {
        let request = try stackRequest("""
            stacks:
              bulk:
                count: \(instances)
                units:
                  main: { exec: [/bin/sleep, "1000000"], resources: { cpu: 10m, memory: 16Mi } }
            """, name: "bulk")
        let counter = RunningCounter(store: observer, prefix: StoreLayout().statuses)
        let watching = try await counter.start()
        let assigned = RunningCounter(store: observer, prefix: StoreLayout().assignments)
        let watchingAssignments = try await assigned.start()
        let cpuBefore = Self.cpuSeconds()
        let start = ContinuousClock.now
        _ = try await client.apply(request)
        async let allAssigned: Double = {
            try await assigned.wait(for: instances, watch: watchingAssignments, timeout: .seconds(600))
            return seconds(ContinuousClock.now - start)
        }()
        try await counter.wait(for: instances, watch: watching, timeout: .seconds(600))
        let elapsed = seconds(ContinuousClock.now - start)
        let cpu = Self.cpuSeconds() - cpuBefore
        let assignedAfter = try await allAssigned
        figure("throughput: \(instances) instances on \(agents) agents", String(format: "%.0f instances/s", Double(instances) / elapsed),
               target: "≥ 5,000 instances/s")
        say(String(format: "  (apply → all %d assigned in %.2f s, all running in %.2f s; fake driver, embedded store; %.2f s of CPU, %.1f cores busy)",
                   instances, assignedAfter, elapsed, cpu, cpu / elapsed))
        say("  (state under \(root), \(Self.filesystem(of: NSTemporaryDirectory())))")
        return Double(instances) / elapsed
    }

    /// CPU time (user + system) this process has used so far, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The filesystem type of `path`, from the longest matching mount point in /proc/mounts
    /// (the journal files' inode allocations are a large part of the cost, and how large
    /// depends on the filesystem).
    static func filesystem(of path: String) -> String {
        let resolved = (path as NSString).resolvingSymlinksInPath
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 2 else { continue }
            let point = fields[1]
            guard resolved == point || resolved.hasPrefix(point == "/" ? "/" : point + "/") else { continue }
            if point.count > (best?.point.count ?? -1) { best = (point, fields[2]) }
        }
        return best.map { "\($0.type) at \($0.point)" } ?? "filesystem unknown"
    }

}

/// A hollow cluster: N in-process agents (the real node code with the fake driver), the
/// first serving the embedded store, state under a directory.
enum HollowCluster {
    /// Starts the agents (the first bootstraps the cluster, its CA signs the others'
    /// certificates), runs `body` with a client of the first agent's API and its store
    /// address, and stops them.
    static func run<T: Sendable>(agents: Int, root: String,
                                 _ body: @Sendable (_ client: APIClient, _ store: String) async throws -> T) async throws -> T {
        var logger = Logger(label: "flotilla-bench")
        logger.logLevel = ProcessInfo.processInfo.environment["FLOTILLA_BENCH_VERBOSE"] != nil ? .info : .critical
        func configuration(_ k: Int, first: Node?) -> NodeConfiguration {
            var config = AgentConfig()
            config.stateDirectory = "\(root)/machine-\(k)"
            config.metadata = ["machine": String(k)]
            config.listen = "127.0.0.1:0"
            config.cpu = 4000
            config.memory = 64 << 30
            if let first { config.store = ["https://" + (first.endpoints.store ?? "")] } else { config.storeListen = "127.0.0.1:0" }
            var configuration = NodeConfiguration(config, logger: logger)
            configuration.driver = FakeDriver()
            configuration.issuer = first?.ca
            configuration.overlay = nil   // in-process agents share one network namespace
            return configuration
        }
        // The first agent serves the store the others use: it runs before they are made, and
        // stops after them.
        let first = try await Node.make(configuration(1, first: nil))
        let firstGroup = ServiceGroup(configuration: .init(services: first.services, logger: logger))
        let store = first.endpoints.store ?? ""
        let client = try APIClient(endpoint: first.endpoints.api,
                                   credentials: try APICredentials.files(ca: "\(root)/machine-1/tls/ca.crt", token: "\(root)/machine-1/admin.token"))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await firstGroup.run() }
            let result: T
            do {
                try await first.storeListening()
                var others: [Node] = []
                for k in stride(from: 2, through: agents, by: 1) { others.append(try await Node.make(configuration(k, first: first))) }
                let group = ServiceGroup(configuration: .init(services: others.flatMap(\.services), logger: logger))
                tasks.addTask { try await group.run() }
                do {
                    try await waitForMachines(client, agents)
                    result = try await body(client, store)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                await group.triggerGracefulShutdown()
            } catch {
                await firstGroup.triggerGracefulShutdown()
                throw error
            }
            // The others' group ends first; then the first agent stops.
            _ = try await tasks.next()
            await firstGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    private static func waitForMachines(_ client: APIClient, _ count: Int) async throws {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let report = try? await client.machines(), report.machines.filter({ $0.state == "alive" }).count >= count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("\(count) in-process agents did not register within 120 s")
    }
}

/// Counts keys under a prefix from a watch on it: status keys whose status says running, or
/// (any other prefix) keys that exist.
struct RunningCounter {
    let store: any KeyValueStore
    let prefix: String

    func start() async throws -> WatchStream {
        let key = Bytes(utf8: prefix)
        return try await store.watch(WatchCreateRequest(key: key, rangeEnd: KeyRange.prefixEnd(key)))
    }

    func wait(for count: Int, watch: WatchStream, timeout: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var running = Set<String>()
                for try await response in watch {
                    for event in response.events {
                        let key = event.kv.key.utf8String
                        if event.type == .delete { running.remove(key); continue }
                        guard prefix == StoreLayout().statuses else { running.insert(key); continue }
                        let status = try RecordCodec.decode(UnitStatus.self, from: event.kv.value, key: key)
                        if status.state == .running { running.insert(key) } else { running.remove(key) }
                    }
                    if running.count >= count { return }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw BenchError("not all \(count) units reported running within \(timeout)")
            }
            try await group.next()
            group.cancelAll()
            watch.cancel()
        }
    }
}
