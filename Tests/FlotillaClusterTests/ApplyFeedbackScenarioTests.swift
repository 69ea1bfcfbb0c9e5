import Foundation
import Testing

extension ClusterScenarioTests {
    /// Stacks nobody can place — memory larger than any machine, and a metadata label no
    /// machine has — make `apply` exit 2 and print each reason.
    @Test("an unplaceable stack makes apply exit 2 with the reason", arguments: StoreKind.allCases)
    func unplaceableStackExits2(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "unplaceable") { cluster in
            let spec = try cluster.write("unplaceable.yaml", """
                version: 1
                stacks:
                  huge:
                    count: 1
                    units:
                      hog:
                        exec: [/bin/sleep, "1000"]
                        resources: { memory: 4096Gi }
                  nowhere:
                    count: 1
                    placement: { metadata: { disk: nvme } }
                    units:
                      idle:
                        exec: [/bin/sleep, "1000"]
                """)
            let applied = try await cluster.cli(["apply", "-f", spec, "--timeout", "60s"])
            #expect(applied.status == 2, "\(applied)")
            #expect(applied.output.contains("2 instances unplaced"), "\(applied)")
            #expect(applied.output.contains("0/3 machines fit huge@1: 3 memory exhausted (needs 4Ti"), "\(applied)")
            #expect(applied.output.contains("0/3 machines fit nowhere@1: 3 metadata disk=nvme not matched"), "\(applied)")
            #expect(UnitProcesses.find(machines: Set(cluster.agents.map(\.machineID))).isEmpty, "nothing was started")
        }
    }

    /// A unit that exits 3 at once, restarting every 100 ms, makes `apply` exit 1 and show
    /// its exit code and its last log line.
    @Test("a crash-looping unit makes apply exit 1 with its exit code and log", arguments: StoreKind.allCases)
    func crashLoopingUnitExits1(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "crashloop") { cluster in
            let spec = try cluster.write("crashy.yaml", """
                version: 1
                stacks:
                  crashy:
                    count: 1
                    units:
                      boom:
                        exec: [/bin/sh, -c, 'echo boom >&2; exit 3']
                        restart: always
                        restart_sec: 100ms
                """)
            let applied = try await cluster.cli(["apply", "-f", spec, "--timeout", "60s"])
            #expect(applied.status == 1, "\(applied)")
            #expect(applied.output.contains("crashy@1/boom"), "\(applied)")
            #expect(applied.output.contains("exit code 3"), "\(applied)")
            let logLines = applied.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(logLines.contains("boom"), "the unit's last log line is shown:\n\(applied)")
            let status = try await cluster.cli(["status", "crashy"])
            #expect(status.stdout.contains("exit code 3"), "status shows the last exit:\n\(status)")
            #expect(status.stdout.contains("WHY: boom restarting after: main process exited 3")
                    || status.stdout.contains("WHY: boom failed: main process exited 3"), "status says why:\n\(status)")
        }
    }
}
