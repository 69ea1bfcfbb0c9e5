import FlotillaAPI
import FlotillaModel
import Foundation

/// A rolling update on the hollow cluster: one stack of `instances` instances running,
/// then a change of its environment rolled out with `max_parallel`, timed from the apply
/// until the controller records the rollout succeeded (every instance replaced and seen
/// running). `min_healthy_time` is 0, so the figure is the machinery's, not a wait.
struct RolloutBench {
    let agents: Int
    let instances: Int
    let maxParallel: Int

    func run() async throws {
        let meter = ReconcileTime.shared
        let root = NSTemporaryDirectory() + "flotilla-bench-rollout-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await HollowCluster.run(agents: agents, root: root) { client, _ in
            let first = try await client.apply(try request(version: "v1"))
            _ = try await waitUntil(client, "\(instances) instances running v1") { report in
                report.stacks.first.map { $0.decidedRevision ?? 0 >= first.revision } == true
                    && report.instances.filter { $0.units.first?.status?.state == .running && ($0.specRevision ?? 0) >= first.revision }.count == instances
            }
            let cpuBefore = ThroughputBench.cpuSeconds()
            let passesBefore = meter.reading
            let start = ContinuousClock.now
            let second = try await client.apply(try request(version: "v2"))
            let done = try await waitUntil(client, "the rollout of v2 to succeed") { report in
                guard let rollout = report.stacks.first?.rollout, rollout.specRevision == second.revision else { return false }
                if rollout.phase == .failed { throw BenchError("the rollout failed: \(rollout.message ?? "")") }
                return rollout.phase == .succeeded
            }
            let elapsed = seconds(ContinuousClock.now - start)
            let cpu = ThroughputBench.cpuSeconds() - cpuBefore
            let passes = meter.reading
            let controller = passes.seconds - passesBefore.seconds
            figure("rollout: \(instances) instances, max_parallel \(maxParallel)", String(format: "%.2f s", elapsed),
                   target: "(none set; issue 11 asks for the figure)")
            say(String(format: "  (%d agents, fake driver, embedded store, min_healthy_time 0; %d rollout steps of %d)",
                       agents, (instances + maxParallel - 1) / maxParallel, maxParallel))
            say(String(format: "  controller: %d reconcile passes, %.2f s in them (read, decide, commit) = %.0f%% of one core over the rollout",
                       passes.passes - passesBefore.passes, controller, 100 * controller / elapsed))
            say(String(format: "  whole hollow cluster (controller, %d agents, store): %.2f s of CPU, %.2f cores busy",
                       agents, cpu, cpu / elapsed))
            _ = done
        }
    }

    private func request(version: String) throws -> ApplyRequest {
        try stackRequest("""
            stacks:
              rolling:
                count: \(instances)
                update: { max_parallel: \(maxParallel), min_healthy_time: 0s }
                units:
                  main:
                    exec: [/bin/sleep, "1000000"]
                    resources: { cpu: 10m, memory: 16Mi }
                    env: { VERSION: \(version) }
            """, name: "rolling-\(version)")
    }

    /// Long-polls `status` until `done` says so; 600 s at most.
    private func waitUntil(_ client: APIClient, _ what: String, _ done: (StatusReport) throws -> Bool) async throws -> StatusReport {
        let deadline = ContinuousClock.now + .seconds(600)
        var report = try await client.status(stack: "rolling")
        while try !done(report) {
            guard ContinuousClock.now < deadline else { throw BenchError("timed out waiting for \(what)") }
            report = try await client.status(stack: "rolling", after: report.revision, wait: 5)
        }
        return report
    }
}
