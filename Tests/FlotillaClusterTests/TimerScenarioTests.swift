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

extension ClusterScenarioTests {
    /// Issue 11, point 4: a unit that keeps failing on its machine (here: on the first machine
    /// it lands on, and only there) is moved by its stack's `reschedule:` policy after
    /// `attempts` restarts and the delay; it runs on another machine, and the reason is an
    /// event and a line of `status`.
    @Test("a crash-looping unit is moved to another machine after `attempts` restarts", arguments: StoreKind.allCases)
    func crashLoopIsRescheduled(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "reschedule") { cluster in
            let marker = cluster.directory + "/first-machine"
            let file = try cluster.write("flaky.yaml", """
                version: 1
                stacks:
                  flaky:
                    reschedule: { attempts: 2, delay: 1s }
                    units:
                      main:
                        exec: [/bin/sh, -c, '[ -f \(marker) ] || echo "$FLOTILLA_MACHINE" > \(marker); [ "$(cat \(marker))" != "$FLOTILLA_MACHINE" ] || exit 1; exec sleep 100000']
                        restart: always
                        restart_sec: 200ms
                """)
            _ = try await cluster.cli(["apply", "-f", file, "--detach"])
            let client = try cluster.client()
            let machine = try await eventually("flaky@1 running on another machine than the first", timeout: .seconds(40)) {
                let first = (try? String(contentsOfFile: marker, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                let report = try await client.status(stack: "flaky")
                guard let first, let machine = report.running(stack: "flaky")["flaky@1"], machine != first else { return nil as String? }
                return machine
            }
            let first = try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(machine != first)
            let events = try await client.events(last: 200).events.map(\.event).filter { $0.kind == "rescheduled" }
            #expect(events.contains { $0.message.contains("flaky@1 failed on \(first)") }, "\(events.map(\.message))")
            let status = try await cluster.cli(["status", "flaky"])
            #expect(status.output.contains("flaky@1 moved from"), "\(status)")
            #expect(status.output.contains("because it failed there (main restarted"), "\(status)")
        }
    }
}
