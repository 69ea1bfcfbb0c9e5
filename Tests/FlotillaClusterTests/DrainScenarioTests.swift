import FlotillaAPI
import Foundation
import Testing

extension ClusterScenarioTests {
    /// Issue 11, point 7: `machine drain` moves every instance off a machine and returns once
    /// they run elsewhere; an instance that can only run there makes it exit 2 with the
    /// reason; `web`'s disruption budget moves its instances one at a time; a drained
    /// (cordoned) machine takes no new instances until `uncordon`.
    @Test("drain moves every instance elsewhere, reports what cannot move, and uncordon puts the machine back", arguments: StoreKind.allCases)
    func drainAndUncordon(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "drain") { cluster in
            let target = cluster.agent(1).machineID
            let file = try cluster.write("drain.yaml", """
                version: 1
                stacks:
                  web:
                    count: 4
                    disruption: { max_unavailable: 1 }
                    units:
                      main: { exec: [/bin/sleep, "100000"] }
                  pinned:
                    count: 1
                    placement: { machine: \(target) }
                    units:
                      main: { exec: [/bin/sleep, "100000"] }
                """)
            let applied = try await cluster.cli(["apply", "-f", file, "--timeout", "60s"])
            #expect(applied.status == 0, "\(applied)")
            let client = try cluster.client()

            let drained = try await cluster.cli(["machine", "drain", String(target.prefix(8)), "--timeout", "60s"])
            #expect(drained.status == 2, "\(drained)")
            #expect(drained.output.contains("pinned@1: 0/3 machines fit pinned@1"), "\(drained)")
            #expect(drained.output.contains("machine cordoned"), "\(drained)")
            let report = try await client.status()
            #expect(!report.instances.contains { $0.machine == target }, "nothing is left on the drained machine:\n\(report.summary)")
            #expect(report.running(stack: "web").count == 4, "\(report.summary)")
            // The budget: web's instances left the machine one at a time, each in its own pass.
            let moved = try await client.events(last: 500).events.map(\.event)
                .filter { $0.kind == "moved" && $0.stack == "web" && $0.message.contains("from \(target)") }
            #expect(Set(moved.map(\.at)).count == moved.count, "one move per pass: \(moved.map(\.message))")

            let machines = try await cluster.cli(["machines"])
            #expect(machines.stdout.contains("alive, draining"), "\(machines)")

            let raised = try await cluster.cli(["apply", "-f", try cluster.write("drain.yaml", """
                version: 1
                stacks:
                  web:
                    count: 6
                    units:
                      main: { exec: [/bin/sleep, "100000"] }
                """), "--timeout", "60s"])
            #expect(raised.status == 0, "\(raised)")
            #expect(!(try await client.status(stack: "web")).instances.contains { $0.machine == target })

            let back = try await cluster.cli(["machine", "uncordon", target])
            #expect(back.status == 0 && back.stdout.contains("back in service (was draining)"), "\(back)")
            #expect(!(try await cluster.cli(["machines"])).stdout.contains("draining"))
            let again = try await cluster.cli(["machine", "uncordon", target])
            #expect(again.stdout.contains("was not cordoned"), "\(again)")
            let unknown = try await cluster.cli(["machine", "cordon", "zzzz"])
            #expect(unknown.status != 0 && unknown.output.contains("no machine 'zzzz'"), "\(unknown)")

            // --self: the machine of the agent the CLI talks to (the first running agent).
            let own = try await client.health().machine
            let cordoned = try await cluster.cli(["machine", "cordon", "--self"])
            #expect(cordoned.status == 0 && cordoned.stdout.contains("machine \(own) cordoned"), "\(cordoned)")
            let uncordoned = try await cluster.cli(["machine", "uncordon", "--self"])
            #expect(uncordoned.stdout.contains("machine \(own) back in service"), "\(uncordoned)")
            let both = try await cluster.cli(["machine", "cordon", "--self", own])
            #expect(both.status != 0 && both.output.contains("give a machine ID or --self, not both"), "\(both)")
        }
    }
}
