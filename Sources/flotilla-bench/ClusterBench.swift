import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `flotilla-bench cluster`: failover time, apply latency, agent memory, end-to-end
/// throughput and a rolling update, each printed as a figure line next to its target.
struct ClusterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Measure failover, apply latency, agent memory, throughput and a rolling update (release build).",
        discussion: """
            The agents' state directories (journals, run records, the embedded store) live under \
            $TMPDIR (default /tmp): the throughput figure depends on that filesystem, which the \
            run prints. Everything is removed on exit.
            """)

    @Option(help: "Failover runs (SIGKILL the agent running the instance, time until it runs elsewhere).")
    var failovers: Int = 10

    @Option(help: "Membership lease TTL for the failover runs, seconds.")
    var ttl: Int = 5

    @Option(help: "Apply-latency runs.")
    var applies: Int = 20

    @Option(help: "Units started on one agent to measure memory per unit.")
    var units: Int = 200

    @Option(help: "In-process agents for the throughput run.")
    var agents: Int = 100

    @Option(help: "Instances applied in the throughput run.")
    var instances: Int = 10_000

    @Option(help: "Throughput runs, each on a fresh cluster; the median is the figure.")
    var throughputRuns: Int = 3

    @Option(help: "First port used (store; agents' APIs follow).")
    var basePort: Int = 24_000

    @Option(help: "In-process agents for the rollout run.")
    var rolloutAgents: Int = 10

    @Option(help: "Instances rolled in the rollout run.")
    var rolloutInstances: Int = 100

    @Option(help: "max_parallel of the rollout run.")
    var rolloutParallel: Int = 10

    @Option(help: "Parts to run: failover,latency,memory,throughput,rollout.")
    var only: String = "failover,latency,memory,throughput,rollout"

    func run() async throws {
        _ = ReconcileTime.shared   // before any metric is created
        let parts = Set(only.split(separator: ",").map(String.init))
        if !parts.isDisjoint(with: ["failover", "latency", "memory"]) {
            let cluster = try BenchAgents(count: 3, ttl: ttl, basePort: basePort)
            defer { cluster.stopAll() }
            for k in 1...3 { try cluster.start(k) }
            try await cluster.waitForMachines(3)
            let bench = ProcessClusterBench(cluster: cluster)
            if parts.contains("memory") { try await bench.idleMemory(units: units) }
            if parts.contains("latency") { try await bench.applyLatency(runs: applies) }
            if parts.contains("failover") { try await bench.failover(runs: failovers) }
        }
        if parts.contains("throughput") {
            try await ThroughputBench(agents: agents, instances: instances, runs: throughputRuns).run()
        }
        if parts.contains("rollout") {
            try await RolloutBench(agents: rolloutAgents, instances: rolloutInstances, maxParallel: rolloutParallel).run()
        }
    }
}

/// Prints `label: value` aligned, with the target after it.
func figure(_ label: String, _ value: String, target: String) {
    let padded = label.padding(toLength: 44, withPad: " ", startingAt: 0)
    say("\(padded) \(value.padding(toLength: 26, withPad: " ", startingAt: 0)) target \(target)")
}

/// Writes a one-file stack to a temporary YAML file and returns its apply request.
func stackRequest(_ yaml: String, name: String) throws -> ApplyRequest {
    let path = NSTemporaryDirectory() + "flotilla-bench-\(name).yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let bundle = SpecBundle.read(paths: [path])
    guard !bundle.diagnostics.hasErrors else {
        throw BenchError("benchmark stack \(name) does not compile: \(bundle.diagnostics.map(\.description).joined(separator: "; "))")
    }
    return bundle.applyRequest()
}

/// Writes a line to standard output at once (unbuffered, also through a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
