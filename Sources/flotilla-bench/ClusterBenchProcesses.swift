import FlotillaAPI
import FlotillaModel
import Foundation

/// The measurements that need real agent processes: failover, apply latency, memory.
struct ProcessClusterBench {
    let cluster: BenchAgents

    private var client: APIClient { get throws { try APIClient(endpoint: cluster.agents[0].api, credentials: cluster.credentials()) } }

    /// Agent RSS with nothing to run, then the growth per supervised unit.
    func idleMemory(units: Int) async throws {
        try await Task.sleep(for: .seconds(3))
        let idle = [2, 3].compactMap { cluster.pid($0).flatMap { residentBytes(of: $0) } }
        guard let idleMax = idle.max() else { throw BenchError("cannot read the agents' RSS") }
        figure("agent idle RSS (no store, no units)", "\(mib(idleMax)) MiB", target: "≤ 25 MB")
        if let pid = cluster.pid(2), let anon = residentBytes(of: pid, field: "RssAnon"), let file = residentBytes(of: pid, field: "RssFile") {
            say("  (of which private memory \(mib(anon)) MiB; file-backed pages: the binary and the C libraries \(mib(file)) MiB)")
        }
        if let storeAgent = cluster.pid(1).flatMap({ residentBytes(of: $0) }) {
            figure("agent idle RSS with the embedded store", "\(mib(storeAgent)) MiB", target: "(for reference)")
        }
        let yaml = """
            stacks:
              many:
                count: \(units)
                placement: { metadata: { machine: "3" } }
                units:
                  sleeper: { exec: [/bin/sleep, "1000000"], resources: { cpu: 1m, memory: 1Mi } }
            """
        let client = try self.client
        let before = cluster.pid(3).flatMap { residentBytes(of: $0) } ?? 0
        _ = try await client.apply(try stackRequest(yaml, name: "many"))
        try await waitRunning(client, stack: "many", count: units, timeout: 120)
        try await Task.sleep(for: .seconds(3))
        let after = cluster.pid(3).flatMap { residentBytes(of: $0) } ?? 0
        let perUnit = Double(after - before) / Double(units)
        figure("agent memory per supervised unit (\(units) units)", String(format: "%.1f KB", perUnit / 1000), target: "≤ 100 KB")
        _ = try await client.destroy(stack: "many")
        try await waitGone(client, stack: "many", timeout: 120)
    }

    /// Apply of a one-unit stack until its unit runs, on a warm cluster.
    func applyLatency(runs: Int) async throws {
        let client = try self.client
        var samples: [Double] = []
        for run in 1...max(1, runs) {
            let name = "latency\(run)"
            let request = try stackRequest("""
                stacks:
                  \(name):
                    units:
                      main: { exec: [/bin/sleep, "1000000"], resources: { cpu: 1m, memory: 1Mi } }
                """, name: name)
            let start = ContinuousClock.now
            _ = try await client.apply(request)
            try await waitRunning(client, stack: name, count: 1, timeout: 30, poll: .milliseconds(2))
            samples.append(seconds(ContinuousClock.now - start) * 1000)
            _ = try await client.destroy(stack: name)
        }
        samples.sort()
        figure("apply → running, one unit (\(samples.count) runs)",
               String(format: "median %.0f ms, p99 %.0f ms", percentile(samples, 0.5), percentile(samples, 0.99)), target: "≤ 150 ms median")
    }

    /// SIGKILL the agent (and units) running the instance; time until it runs elsewhere.
    func failover(runs: Int) async throws {
        let client = try self.client
        _ = try await client.apply(try stackRequest("""
            stacks:
              failover:
                placement: { metadata: { machine: ["2", "3"] } }
                units:
                  main: { exec: [/bin/sleep, "1000000"], restart: always, resources: { cpu: 1m, memory: 1Mi } }
            """, name: "failover"))
        try await waitRunning(client, stack: "failover", count: 1, timeout: 30)
        var samples: [Double] = []
        for run in 1...max(1, runs) {
            // The previous run's replacement may still be settling (status catching up).
            try await waitRunning(client, stack: "failover", count: 1, timeout: 30)
            let (machine, pid) = try await running(client, stack: "failover")
            let machines = try await client.machines().machines
            guard let index = machines.first(where: { $0.id == machine })?.record?.metadata["machine"].first.flatMap({ Int($0) }) else {
                throw BenchError("cannot tell which agent runs machine \(machine)")
            }
            let start = ContinuousClock.now
            cluster.kill(index, unitPIDs: pid.map { [$0] } ?? [])
            while true {
                if let now = try? await running(client, stack: "failover"), now.machine != machine { break }
                if ContinuousClock.now - start > .seconds(60) { throw BenchError("the instance did not come back within 60 s") }
                try await Task.sleep(for: .milliseconds(10))
            }
            samples.append(seconds(ContinuousClock.now - start))
            say("  run \(run): killed the agent of \(machine); running elsewhere after " + String(format: "%.2f s", samples.last ?? 0))
            try cluster.start(index)
            try await cluster.waitForMachines(3)
        }
        samples.sort()
        figure("failover at TTL \(cluster.ttl) s (\(samples.count) runs)",
               String(format: "median %.2f s, p99 %.2f s", percentile(samples, 0.5), percentile(samples, 0.99)),
               target: "≤ TTL + 1 s = \(cluster.ttl + 1) s")
        _ = try await client.destroy(stack: "failover")
    }

    private func running(_ client: APIClient, stack: String) async throws -> (machine: String, pid: Int32?) {
        let report = try await client.status(stack: stack)
        for instance in report.instances {
            for unit in instance.units where unit.status?.state == .running && unit.status?.machine == instance.machine {
                return (instance.machine ?? "", unit.status?.pid)
            }
        }
        throw BenchError("\(stack) is not running")
    }

    private func waitRunning(_ client: APIClient, stack: String, count: Int, timeout: Double, poll: Duration = .milliseconds(50)) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let report = try? await client.status(stack: stack) {
                let up = report.instances.filter { i in !i.units.isEmpty && i.units.allSatisfy { $0.status?.state == .running } }.count
                if up >= count { return }
            }
            try await Task.sleep(for: poll)
        }
        throw BenchError("\(stack): \(count) instance(s) not running within \(Int(timeout)) s")
    }

    private func waitGone(_ client: APIClient, stack: String, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let report = try? await client.status(), !report.instances.contains(where: { $0.stack == stack }) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

func mib(_ bytes: Int64) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
