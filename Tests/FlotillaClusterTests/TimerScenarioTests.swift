import FlotillaAPI
import FlotillaModel
import Foundation
import Testing

extension ClusterScenarioTests {
    /// Issue 11, point 5: a `schedule: "@every 2s"` unit and a fleet `.timer` with
    /// `OnUnitActiveSec=2s` each run again and again, every run on the one machine their
    /// instance is placed on; `status` shows the last and the next run.
    @Test("schedule @every 2s and a .timer with OnUnitActiveSec=2s run repeatedly on one machine only", arguments: StoreKind.allCases)
    func timersRunRepeatedly(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "timers") { cluster in
            let ticks = cluster.directory + "/ticks.log", beats = cluster.directory + "/beats.log"
            let stackFile = try cluster.write("ticker.yaml", """
                version: 1
                stacks:
                  ticker:
                    units:
                      tick:
                        exec: [/bin/sh, -c, 'echo "$FLOTILLA_MACHINE" >> \(ticks)']
                        schedule: "@every 2s"
                """)
            _ = try cluster.write("beat.service", """
                [Service]
                Type=oneshot
                ExecStart=/bin/sh -c 'echo "$FLOTILLA_MACHINE" >> \(beats)'
                """)
            let timer = try cluster.write("beat.timer", "[Timer]\nOnUnitActiveSec=2s\n")
            let applied = try await cluster.cli(["apply", "-f", stackFile, timer, "--timeout", "60s"])
            #expect(applied.status == 0, "\(applied)")

            /// The machines that wrote each line of `path`, once it has at least `count` lines.
            func runs(_ path: String, atLeast count: Int) async throws -> [Substring] {
                try await eventually("\(count) runs in \(path)", timeout: .seconds(20)) {
                    let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
                    return lines.count >= count ? lines : nil
                }
            }
            let tickMachines = Set(try await runs(ticks, atLeast: 3))
            let beatMachines = Set(try await runs(beats, atLeast: 3))
            #expect(tickMachines.count == 1, "ticker ran on \(tickMachines)")
            #expect(beatMachines.count == 1, "beat.timer ran on \(beatMachines)")

            let report = try await cluster.client().status()
            let tick = report.status("ticker@1", "tick")
            #expect(tick?.lastRun != nil && tick?.nextRun != nil, "\(String(describing: tick))")
            #expect(report.status("beat.timer", "beat.service")?.lastRun != nil)
            let status = try await cluster.cli(["status", "ticker"])
            #expect(status.output.contains("waiting (last run") || status.output.contains("running (last run"), "\(status)")
        }
    }
}
