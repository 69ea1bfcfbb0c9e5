import FlotillaAPI
import FlotillaModel
import Foundation
import Glibc
import Testing

extension ClusterScenarioTests {
    /// Issue 11, point 8: the store stops answering for longer than the TTL (SIGSTOP to the
    /// agent serving the embedded store, or to every etcd member) while units run, then comes
    /// back: every agent registers again, nothing moves and nothing restarts (same pids). Then
    /// two of the three agents stop answering for longer than the TTL: the controller sees two
    /// of three leases expire at once, records a storm and holds their instances; the agents
    /// come back within the grace and keep them.
    @Test("a store outage, or two of three agents losing their leases at once, moves nothing and restarts nothing",
          arguments: StoreKind.allCases)
    func storeOutageMovesNothing(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "storm", agentArguments: ["--storm-grace", "10s"]) { cluster in
            let file = try cluster.write("web.yaml", """
                version: 1
                stacks:
                  web:
                    count: 3
                    spread: machine
                    units:
                      main: { exec: [/bin/sleep, "100000"] }
                """)
            let applied = try await cluster.cli(["apply", "-f", file, "--timeout", "60s"])
            #expect(applied.status == 0, "\(applied)")
            let client = try cluster.client()
            /// Instance → (machine, pid) of every running instance of `web`.
            func placements() async throws -> [String: String] {
                var result: [String: String] = [:]
                for instance in try await client.status(stack: "web").instances where instance.placement == .placed {
                    guard let status = instance.units.first?.status, status.state == .running, let pid = status.pid else { continue }
                    result[instance.instance] = "\(instance.machine ?? "-") pid \(pid)"
                }
                return result
            }
            let before = try await placements()
            #expect(before.count == 3, "\(before)")

            /// Waits for all three machines, then watches for `seconds`: no instance may leave its
            /// machine meanwhile.
            func expectNothingMoves(after what: String, watching seconds: Int) async throws {
                try await eventually("every agent registered again after \(what)", timeout: .seconds(30)) {
                    try await cluster.client().machines().machines.filter { $0.state == "alive" }.count == 3 ? true : nil
                }
                let until = ContinuousClock.now + .seconds(seconds)
                while ContinuousClock.now < until {
                    if let now = try? await cluster.client().status(stack: "web"), now.instances.contains(where: { $0.placement != .placed }) {
                        throw ClusterTestError("an instance left its machine after \(what): \(now.summary)")
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                let after = try await placements()
                try #require(after == before, "same machines, same pids after \(what)")
            }

            // The store stops answering for longer than the TTL.
            let frozenAt = Date().timeIntervalSince1970
            await cluster.freezeStore(for: .seconds(cluster.ttl + 1))
            try await expectNothingMoves(after: "a store outage", watching: 1)

            // Two of the three agents stop answering (a partition, say) for longer than the TTL
            // while the store and the third agent run: their leases expire together, which the
            // controller sees. It holds their instances; they come back within the grace.
            let frozen = [cluster.agent(2), cluster.agent(3)]
            for agent in frozen { agent.process.signal(SIGSTOP) }
            try await Task.sleep(for: .seconds(cluster.ttl + 1))
            for agent in frozen { agent.process.signal(SIGCONT) }
            try await expectNothingMoves(after: "two agents lost their leases at once", watching: 1)

            let events = try await cluster.client().events(last: 500).events.map(\.event).filter { $0.at >= frozenAt }
            #expect(!events.contains { $0.kind == "moved" || $0.kind == "stopped" }, "\(events.map(\.message))")
            #expect(events.contains { $0.kind == "storm" }, "the controller saw two of three machines lose their leases at once")
        }
    }
}
