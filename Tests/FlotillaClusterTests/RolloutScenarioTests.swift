import FlotillaAPI
import FlotillaModel
import Foundation
import Synchronization
import Testing

extension ClusterScenarioTests {
    /// Issue 11, point 2: a change of the units rolls one instance at a time with
    /// `max_parallel: 1`; an observer polling `status` all along never sees fewer than
    /// count − 1 instances running, and each new copy started before the old one stopped (the
    /// machines have room): every unit logs when it starts and when SIGTERM stops it. `apply`
    /// prints the rollout's progress and exits 0 once every instance runs the new environment.
    @Test("an env change rolls one instance at a time, each new copy started before the old one stops", arguments: StoreKind.allCases)
    func rollingUpdate(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "rolling") { cluster in
            let logs = cluster.directory + "/lifetimes"
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            let script = try cluster.write("unit.sh", """
                #!/bin/sh
                # Logs "start|stop VERSION NANOSECONDS" per instance; SIGTERM logs the stop.
                log='\(logs)/'"$FLOTILLA_INSTANCE"
                echo "start $VERSION $(date +%s%N)" >> "$log"
                trap 'echo "stop $VERSION $(date +%s%N)" >> "$log"; exit 0' TERM
                sleep 100000 &
                wait

                """, executable: true)
            func apply(_ version: String) async throws -> CLIResult {
                let file = try cluster.write("web.yaml", """
                    version: 1
                    stacks:
                      web:
                        count: 3
                        update: { max_parallel: 1, min_healthy_time: 1s }
                        units:
                          main:
                            exec: [/bin/sh, \(script)]
                            env: { VERSION: \(version) }
                    """)
                return try await cluster.cli(["apply", "-f", file, "--timeout", "90s"])
            }
            let first = try await apply("v1")
            #expect(first.status == 0, "\(first)")

            let client = try cluster.client()
            /// Main pids of the instances whose unit runs with VERSION = `version`.
            func running(_ version: String? = nil) async throws -> [String: Int32] {
                var pids: [String: Int32] = [:]
                for instance in try await client.status(stack: "web").instances where instance.placement == .placed {
                    guard let status = instance.units.first?.status, status.state == .running, let pid = status.pid,
                          UnitProcesses.isAlive(pid) else { continue }
                    if let version, UnitProcesses.environment(of: pid)["VERSION"] != version { continue }
                    pids[instance.instance] = pid
                }
                return pids
            }
            let before = try await running("v1")
            #expect(before.count == 3, "\(before)")

            let fewest = Mutex(3)
            let done = Atomic<Bool>(false)
            async let observed: Void = {
                while !done.load(ordering: .relaxed) {
                    if let now = try? await running() { fewest.withLock { $0 = min($0, now.count) } }
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }()
            let second = try await apply("v2")
            done.store(true, ordering: .relaxed)
            await observed
            #expect(second.status == 0, "\(second)")
            #expect(second.output.contains("web: rolling out version 2"), "\(second)")
            #expect(second.output.contains("web: version 2 rolled out: 3/3 updated, 3/3 healthy"), "\(second)")
            #expect(fewest.withLock { $0 } >= 2, "an observer saw \(fewest.withLock { $0 }) of 3 instances running")
            for instance in ["web@1", "web@2", "web@3"] {
                /// `start|stop VERSION NANOSECONDS` lines written in full.
                func events() -> [(String, Int)] {
                    let text = (try? String(contentsOfFile: logs + "/" + instance, encoding: .utf8)) ?? ""
                    return text.split(separator: "\n").compactMap { line in
                        let fields = line.split(separator: " ")
                        guard fields.count == 3, let time = Int(fields[2]) else { return nil }
                        return ("\(fields[0]) \(fields[1])", time)
                    }
                }
                let lines = try await eventually("\(instance)'s v1 run logged its stop", timeout: .seconds(10)) { () -> [(String, Int)]? in
                    let now = events()
                    return now.contains { $0.0 == "stop v1" } ? now : nil
                }
                func time(_ event: String) -> Int? { lines.first { $0.0 == event }?.1 }
                let started = try #require(time("start v2"), "\(lines)")
                let stopped = try #require(time("stop v1"), "\(lines)")
                #expect(started < stopped, "\(instance): the new copy started before the old one stopped: \(lines)")
            }
            let after = try await running("v2")
            #expect(after.count == 3, "\(after)")
            for (instance, pid) in before { #expect(after[instance] != pid, "\(instance) was replaced") }

            // The replacements went one at a time: each "updated" event at least
            // min_healthy_time after the one before.
            let page = try await client.events(last: 500)
            let events: [EventRecord] = page.events.map { (entry: EventsPage.Entry) in entry.event }
                .filter { (event: EventRecord) in event.kind == "updated" && event.stack == "web" }
                .sorted { (a: EventRecord, b: EventRecord) in a.at < b.at }
            #expect(events.count == 3, "\(events.map(\.message))")
            for (earlier, later) in zip(events, events.dropFirst()) {
                #expect(later.at - earlier.at >= 1, "\(earlier.message) then \(later.message)")
            }
        }
    }

    /// Issue 11, points 2 and 3: a new version whose health check never passes fails its
    /// rollout at `healthy_deadline`; the controller writes the previous version back and
    /// rolls to it, and `apply` exits 1 saying so. `history` lists the versions; `rollback`
    /// rolls back to an earlier one by the same strategy.
    @Test("a failing new version is reverted automatically (apply exits 1); history and rollback", arguments: StoreKind.allCases)
    func revertAndRollback(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 2, name: "revert") { cluster in
            func apply(_ version: String, check: String) async throws -> CLIResult {
                let file = try cluster.write("api.yaml", """
                    version: 1
                    stacks:
                      api:
                        count: 2
                        update: { min_healthy_time: 500ms, healthy_deadline: 3s }
                        units:
                          main:
                            exec: [/bin/sleep, "100000"]
                            env: { VERSION: \(version) }
                            health: { exec: [\(check)], interval: 200ms, failures: 0 }
                    """)
                return try await cluster.cli(["apply", "-f", file, "--timeout", "90s"])
            }
            let client = try cluster.client()
            /// The VERSION every running instance of `api` has, once all run one.
            func versions() async throws -> Set<String> {
                var seen: Set<String> = []
                for instance in try await client.status(stack: "api").instances where instance.placement == .placed {
                    guard let status = instance.units.first?.status, status.state == .running, let pid = status.pid else { return [] }
                    seen.insert(UnitProcesses.environment(of: pid)["VERSION"] ?? "")
                }
                return seen
            }

            let first = try await apply("v1", check: "/bin/true")
            #expect(first.status == 0, "\(first)")
            let bad = try await apply("v2", check: "/bin/false")
            #expect(bad.status == 1, "\(bad)")
            #expect(bad.stderr.contains("api: the rollout of version 2 failed: api@1 was not healthy for 0.5s within its healthy_deadline of 3s; reverted automatically (the earlier spec is stored again as version 3)"), "\(bad)")

            _ = try await eventually("the revert to roll out", timeout: .seconds(60)) { () async throws -> Bool? in
                let stack = try await client.status(stack: "api").stacks.first
                guard stack?.version == 3, stack?.rollout?.phase == .succeeded else { return nil }
                return try await versions() == ["v1"] ? true : nil
            }
            let history = try await cluster.cli(["history", "api"])
            #expect(history.status == 0, "\(history)")
            #expect(history.output.contains("automatic revert to version 1"), "\(history)")
            #expect(history.output.contains("unit main: environment, health"), "\(history)")
            let listed = try await client.history(stack: "api")
            #expect(listed.versions.map(\.version) == [1, 2, 3])
            #expect(listed.versions.map(\.current) == [false, false, true])

            let good = try await apply("v4", check: "/bin/true")
            #expect(good.status == 0, "\(good)")
            #expect(try await versions() == ["v4"])
            let back = try await cluster.cli(["rollback", "api", "--to", "1", "--timeout", "60s"])
            #expect(back.status == 0, "\(back)")
            #expect(back.output.contains("rolled api back to version 1"), "\(back)")
            #expect(try await versions() == ["v1"])
            let stored = try await client.history(stack: "api").versions.last
            #expect(stored?.version == 5 && stored?.origin == "rollback to 1", "\(String(describing: stored))")
        }
    }
}
