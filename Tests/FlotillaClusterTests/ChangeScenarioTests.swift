import FlotillaAPI
import Foundation
import Testing

extension ClusterScenarioTests {
    /// Issue 11, point 1: applying the same file again writes nothing and restarts nothing,
    /// and a `count` change starts or stops only the difference; every instance that stays
    /// keeps its process (same pid, still alive).
    @Test("an unchanged apply restarts nothing; count 3 → 5 → 2 touches only the difference", arguments: StoreKind.allCases)
    func onlyWhatChangedRestarts(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "only-changed") { cluster in
            func apply(count: Int) async throws -> CLIResult {
                let file = try cluster.write("web.yaml", """
                    version: 1
                    stacks:
                      web:
                        count: \(count)
                        units:
                          main: { exec: [/bin/sleep, "100000"] }
                    """)
                return try await cluster.cli(["apply", "-f", file, "--timeout", "60s"])
            }
            let client = try cluster.client()
            /// Running instances of `web` and their main pids.
            func pids() async throws -> [String: Int32] {
                var pids: [String: Int32] = [:]
                for instance in try await client.status(stack: "web").instances where instance.placement == .placed {
                    guard let status = instance.units.first?.status, status.state == .running, let pid = status.pid else { continue }
                    pids[instance.instance] = pid
                }
                return pids
            }

            let first = try await apply(count: 3)
            #expect(first.status == 0, "\(first)")
            let three = try await pids()
            #expect(three.count == 3, "\(three)")

            let again = try await apply(count: 3)
            #expect(again.status == 0, "\(again)")
            #expect(again.output.contains("web unchanged at revision"), "\(again)")
            #expect(!again.output.contains("applied web"), "\(again)")
            try await Task.sleep(for: .seconds(1))   // long enough for a wrongful restart to show
            #expect(try await pids() == three, "nothing restarted")

            let raised = try await apply(count: 5)
            #expect(raised.status == 0, "\(raised)")
            let five = try await pids()
            #expect(five.count == 5, "\(five)")
            for (instance, pid) in three { #expect(five[instance] == pid, "\(instance) kept its process") }

            let lowered = try await apply(count: 2)
            #expect(lowered.status == 0, "\(lowered)")
            let two = try await eventually("two instances of web", timeout: .seconds(30)) {
                let now = try await pids()
                return now.count == 2 ? now : nil
            }
            for (instance, pid) in two {
                #expect(five[instance] == pid, "\(instance) kept its process")
                #expect(UnitProcesses.isAlive(pid))
            }
            for (instance, pid) in five where two[instance] == nil {
                try await eventually("\(instance)'s process to end", timeout: .seconds(30)) { UnitProcesses.isAlive(pid) ? nil : true }
            }
        }
    }
}
