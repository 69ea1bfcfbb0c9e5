import FlotillaAPI
import FlotillaModel
import Foundation
import Synchronization
import Testing

extension ClusterScenarioTests {
    /// Issue 14, point 5: three machines, a group of one slot, two machines needing a reboot
    /// at once. Their agents (strategy `lock`) reboot strictly one at a time; each is drained
    /// before its command runs (the command records `flotilla status` and kills its agent,
    /// which is then started again, as after a reboot); every instance stays assigned and the stack
    /// keeps an instance running throughout; both come back, are uncordoned and give the slot
    /// back.
    @Test("two machines needing a reboot in a group of one slot reboot one at a time, each drained first")
    func rebootsOneAtATime() async throws {
        try await TestCluster.with(.embedded, agents: 0, name: "reboot") { cluster in
            let rebooted = cluster.directory + "/rebooted"
            // Agent 1 serves the embedded store and needs no reboot here.
            _ = try await cluster.addAgent()
            for k in 2...3 {
                let config = try cluster.write("agent-\(k).yaml", """
                    reboot:
                      strategy: lock
                      group: workers
                      needed_file: \(cluster.directory)/needed-\(k)
                      command: [/bin/sh, -c, '\(FlotillaCLI.path) status -o json > \(cluster.directory)/status-\(k).json; echo "\(k) $(date +%s.%N)" >> \(rebooted); kill -9 $PPID']
                      drain_time: 1m
                    """)
                _ = try await cluster.addAgent(extraArguments: ["--config", config])
            }
            try await cluster.waitForMachines(3)
            let client = try cluster.client()
            let applied = try await cluster.cli(["apply", "-f", try cluster.write("web.yaml", """
                version: 1
                stacks:
                  web:
                    count: 2
                    spread: machine
                    disruption: { max_unavailable: 1 }
                    units:
                      main: { exec: [/bin/sleep, "100000"] }
                """), "--timeout", "60s"])
            #expect(applied.status == 0, "\(applied)")

            // What the test sees every 100 ms, from agent 1 (never rebooted).
            struct Sample { var at: Double; var holders: [String]; var assigned: [String: String]; var running: Int }
            let samples = Mutex<[Sample]>([])
            let sampler = Task {
                while !Task.isCancelled {
                    if let group = try? await client.rebootStatus(group: "workers").groups.first, let status = try? await client.status(stack: "web") {
                        var assigned: [String: String] = [:]
                        for instance in status.instances where instance.placement == .placed { assigned[instance.instance] = instance.machine }
                        let sample = Sample(at: Date().timeIntervalSince1970, holders: group.holders.map(\.machine), assigned: assigned,
                                            running: status.running(stack: "web").count)
                        samples.withLock { $0.append(sample) }
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            defer { sampler.cancel() }
            for k in 2...3 { FileManager.default.createFile(atPath: "\(cluster.directory)/needed-\(k)", contents: nil) }

            // The "reboots": an agent killed by its command starts again; the OS cleared the
            // needed file on the way (it is /run's).
            var restarted = Set<Int>()
            var lastStatus = ""
            try await eventually("both machines rebooted and back; reboot status:\n\(lastStatus)", timeout: .seconds(120), interval: .milliseconds(200)) { () -> Bool? in
                lastStatus = (try? await cluster.cli(["reboot", "status", "workers"]).stdout) ?? ""
                for k in 2...3 where !restarted.contains(k) && cluster.agent(k).process.exitStatus != nil {
                    try? FileManager.default.removeItem(atPath: "\(cluster.directory)/needed-\(k)")
                    try await cluster.restart(cluster.agent(k))
                    restarted.insert(k)
                }
                guard restarted.count == 2 else { return nil }
                let group = try await client.rebootStatus(group: "workers").groups.first
                let cordoned = try await client.machines().machines.contains { $0.cordon != nil }
                return group?.holders.isEmpty == true && !cordoned ? true : nil
            }
            sampler.cancel()
            _ = await sampler.result
            let seen = samples.withLock { $0 }
            let lines = (try String(contentsOfFile: rebooted, encoding: .utf8)).split(separator: "\n").map { $0.split(separator: " ") }
            #expect(lines.map { String($0[0]) }.sorted() == ["2", "3"], "each machine rebooted once: \(lines)")
            #expect(seen.allSatisfy { $0.holders.count <= 1 }, "never two holders: \(seen.map(\.holders))")
            #expect(Set(seen.compactMap(\.holders.first)) == [cluster.agent(2).machineID, cluster.agent(3).machineID])
            for line in lines {
                let k = Int(line[0])!, machine = cluster.agent(k).machineID
                // What `flotilla status` said when the command ran: both instances run, neither here.
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(cluster.directory)/status-\(k).json"))
                let instances = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["instances"] as? [[String: Any]])
                let web = instances.filter { $0["stack"] as? String == "web" && $0["placement"] as? String == "placed" }
                #expect(web.count == 2 && !web.contains { $0["machine"] as? String == machine },
                        "\(machine) was drained before its command ran: \(web.map { $0["machine"] ?? "-" })")
            }
            // Strictly one at a time, from the events: each grant → reboot → release interval
            // ends before the next begins.
            let events = try await client.rebootHistory(last: 100).events.map(\.event)
            var intervals: [(machine: String, from: Double, to: Double)] = []
            for k in 2...3 {
                let machine = cluster.agent(k).machineID
                let granted = events.first { $0.kind == "reboot-granted" && $0.machine == machine }?.at
                let started = events.first { $0.kind == "reboot-started" && $0.machine == machine }?.at
                let released = events.first { $0.kind == "reboot-released" && $0.machine == machine }?.at
                guard let granted, let started, let released else { Issue.record("\(machine): \(events.map(\.message))"); continue }
                #expect(granted <= started && started <= released)
                intervals.append((machine, granted, released))
            }
            intervals.sort { $0.from < $1.from }
            #expect(intervals.count == 2 && intervals[0].to <= intervals[1].from, "one at a time: \(intervals)")
            #expect(seen.allSatisfy { $0.assigned.count == 2 }, "every instance stayed assigned: \(seen.map(\.assigned.count))")
            #expect(seen.allSatisfy { $0.running >= 1 }, "the budget kept an instance running: \(seen.map(\.running))")
            let history = try await cluster.cli(["reboot", "history"])
            for kind in ["reboot-granted", "reboot-started", "reboot-released"] {
                #expect(history.stdout.components(separatedBy: kind).count - 1 == 2, "\(kind) twice:\n\(history)")
            }
            // One instance per machine on two of three: at least one of them had web to drain.
            #expect(history.stdout.contains("it drains (web)"), "\(history)")
        }
    }

    /// Issue 14, point 5: a machine waits while the cluster has no room without it, and
    /// `reboot status` says why; a closed window, or one closing sooner than the drain time,
    /// starts no reboot; a holder that never comes back loses its slot after the hold timeout;
    /// strategy `reboot` runs its command without a slot.
    @Test("reboots wait for room and for their window, and a holder that never returns loses its slot")
    func rebootsWaitAndExpire() async throws {
        try await TestCluster.with(.embedded, agents: 0, name: "reboot-wait") { cluster in
            // Agent 1: strategy `reboot` (no slot, no drain), a command that only records.
            _ = try await cluster.addAgent(extraArguments: ["--config", try cluster.write("agent-1.yaml", """
                reboot:
                  strategy: reboot
                  needed_file: \(cluster.directory)/needed-1
                  command: [/bin/sh, -c, 'echo 1 >> \(cluster.directory)/rebooted-1']
                """)])
            // Windows in the agents' time zone: one opening in two hours (closed now), one open
            // for four more minutes, less than its 10-minute drain time.
            let formatter = DateFormatter()
            formatter.dateFormat = "HH:mm"
            let later = formatter.string(from: Date().addingTimeInterval(2 * 3600))
            let opened = formatter.string(from: Date().addingTimeInterval(-60))
            for (k, window) in [(2, "{ start: \"\(later)\", length: 30m }"), (3, "{ start: \"\(opened)\", length: 5m }")] {
                let config = try cluster.write("agent-\(k).yaml", """
                    reboot:
                      strategy: lock
                      needed_file: \(cluster.directory)/needed
                      command: [/bin/sh, -c, 'echo \(k) >> \(cluster.directory)/rebooted']
                      window: \(window)
                      drain_time: 10m
                    """)
                _ = try await cluster.addAgent(extraArguments: ["--config", config])
            }
            try await cluster.waitForMachines(3)
            let client = try cluster.client()
            FileManager.default.createFile(atPath: "\(cluster.directory)/needed", contents: nil)
            let waiting = try await eventually("both machines wait for their window", timeout: .seconds(30)) { () -> RebootGroup? in
                let group = try await client.rebootStatus(group: "default").groups.first
                return group?.waiters.count == 2 ? group : nil
            }
            for waiter in waiting.waiters {
                #expect(waiter.reasons.count == 1 && waiter.reasons[0].contains("outside the window") && waiter.reasons[0].contains("next window at"),
                        "\(waiter)")
            }
            #expect(waiting.holders.isEmpty)
            try await Task.sleep(for: .seconds(3))
            #expect(!FileManager.default.fileExists(atPath: "\(cluster.directory)/rebooted"), "no reboot started")
            let shown = try await cluster.cli(["reboot", "status"])
            #expect(shown.stdout.contains("group default: 0/1 slot held") && shown.stdout.contains("outside the window"), "\(shown)")

            // No room: one instance per machine, on every machine.
            let applied = try await cluster.cli(["apply", "-f", try cluster.write("wide.yaml", """
                version: 1
                stacks:
                  wide:
                    count: 3
                    spread: machine
                    units:
                      main: { exec: [/bin/sleep, "100000"] }
                """), "--timeout", "60s"])
            #expect(applied.status == 0, "\(applied)")
            let target = cluster.agent(1).machineID
            let refused = try await cluster.cli(["reboot", "lock", String(target.prefix(8)), "--group", "maintenance"])
            #expect(refused.status == 2, "\(refused)")
            #expect(refused.stdout.contains("waits for a reboot slot of maintenance") && refused.stdout.contains("machines fit wide@"), "\(refused)")
            let status = try await cluster.cli(["reboot", "status", "maintenance"])
            #expect(status.stdout.contains("waits") && status.stdout.contains("machines fit wide@"), "\(status)")
            #expect(try await client.machines().machines.allSatisfy { $0.cordon == nil }, "a waiting machine is not drained")

            // Room again: granted, drained, then held past its hold timeout.
            let destroyed = try await cluster.cli(["destroy", "wide"])
            #expect(destroyed.status == 0, "\(destroyed)")
            let set = try await cluster.cli(["reboot", "set-max", "maintenance", "1", "--hold-timeout", "3s"])
            #expect(set.status == 0 && set.stdout.contains("1 slot, hold timeout 3s"), "\(set)")
            try await eventually("the slot granted and the machine drained", timeout: .seconds(30)) { () -> Bool? in
                let locked = try await cluster.cli(["reboot", "lock", target, "--group", "maintenance"])
                return locked.status == 0 && locked.stdout.contains("is drained: it may reboot") ? true : nil
            }
            #expect(try await client.machines().machines.first { $0.id == target }?.cordon == "draining")
            try await Task.sleep(for: .seconds(3))
            let expired = try await client.rebootStatus(group: "maintenance").groups.first
            #expect(expired?.holders.isEmpty == true, "the slot was taken back: \(String(describing: expired))")
            #expect(try await client.machines().machines.first { $0.id == target }?.cordon == nil, "and its cordon removed")
            let history = try await cluster.cli(["reboot", "history"])
            #expect(history.stdout.contains("reboot-expired") && history.stdout.contains("longer than the hold timeout (3 s)"), "\(history)")
            let unlocked = try await cluster.cli(["reboot", "unlock", target, "--group", "maintenance"])
            #expect(unlocked.status == 0 && unlocked.stdout.contains("held no reboot slot"), "unlock is idempotent: \(unlocked)")

            // Strategy `reboot`: the command runs at once, without a slot or a drain.
            FileManager.default.createFile(atPath: "\(cluster.directory)/needed-1", contents: nil)
            try await eventually("agent 1's reboot command ran", timeout: .seconds(20)) {
                FileManager.default.fileExists(atPath: "\(cluster.directory)/rebooted-1") ? true : nil
            }
            #expect(try await client.machines().machines.allSatisfy { $0.cordon == nil }, "nothing was drained")
            #expect(try await client.rebootStatus(group: "default").groups.first?.holders.isEmpty == true, "no slot was taken")
            let reboots = try await cluster.cli(["reboot", "history", "-o", "json"])
            #expect(reboots.stdout.contains("strategy reboot: no slot, no drain") && reboots.stdout.contains("\"at\" : \"20"), "\(reboots)")
        }
    }
}
