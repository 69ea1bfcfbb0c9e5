import FlotillaModel
import FlotillaStore
import Foundation
import Testing

@Suite("status, machines, logs, stack verbs and fleetctl against the API (real binary)")
struct APICommandsTests {
    @Test("status shows the unit table and a WHY line for an unplaced instance, from the controller's record; -o json is the report")
    func statusTable() async throws {
        try await APIFixture.with { api in
            let path = try api.file("web.yaml", webStack.replacingOccurrences(of: "count: 1", with: "count: 2"))
            #expect(try await api.run(["apply", "-f", path, "--detach"]).status == 0)
            let token = try await api.assignWhenApplied("web@1", stack: "web")
            try await api.status("web@1", "main", .running, token: token, exitCode: 0, restarts: 2)
            try await api.decideUnplaced("web@2", stack: "web", explanation: "0/1 machines fit web@2: 1 already run web (spread: machine)",
                                         placed: ["web@1": "m1"])
            let table = try await api.run(["status"])
            #expect(table.status == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["INSTANCE", "UNIT", "MACHINE", "STATE", "RESTARTS", "LAST-EXIT", "SINCE"])
            #expect(lines.contains { $0.hasPrefix("web@1") && $0.contains("main") && $0.contains("m1 (host-m1)") && $0.contains("running") && $0.contains("exit code 0") })
            let unplacedIndex = try #require(lines.firstIndex { $0.hasPrefix("web@2") && $0.contains("unplaced") })
            #expect(lines[unplacedIndex + 1] == "  WHY: 0/1 machines fit web@2: 1 already run web (spread: machine)")
            let json = try await api.run(["status", "web", "-o", "json"])
            #expect(json.stdout.contains("\"placement\" : \"unplaced\""))
        }
    }

    @Test("machines lists the columns; logs prints a unit's journal from the API")
    func machinesAndLogs() async throws {
        try await APIFixture.with { api in
            try await api.put(api.layout.usage("m1"), MachineUsage(load1: 0.42, cpuBusy: 0.5, memoryUsed: 1 << 30, memoryTotal: 2 << 30,
                                                                   diskUsed: 0, diskTotal: 0, unitsRunning: 1, at: 0))
            let machines = try await api.run(["machines"])
            #expect(machines.status == 0)
            #expect(machines.stdout.contains("MACHINE  HOSTNAME  METADATA  CPU    MEMORY   LOAD  UNITS  STATE"))
            #expect(machines.stdout.contains("m1       host-m1   disk=ssd  0.5/2  1Gi/2Gi  0.42  1/0    alive"))
            let path = try api.file("web.yaml", webStack)
            _ = try await api.run(["apply", "-f", path, "--detach"])
            _ = try await api.assignWhenApplied("web@1", stack: "web")
            try FileManager.default.createDirectory(atPath: api.journal, withIntermediateDirectories: true)
            try "first\nsecond\nthird\n".write(toFile: api.journal + "/web@1+main.log", atomically: true, encoding: .utf8)
            let logs = try await api.run(["logs", "web@1/main", "-n", "2"])
            #expect(logs.status == 0 && logs.stdout == "second\nthird\n", "exit \(logs.status): \(logs.stderr)")
            let single = try await api.run(["logs", "web@1"])
            #expect(single.stdout == "first\nsecond\nthird\n", "exit \(single.status): \(single.stderr)")
        }
    }

    @Test("logs -f prints a line appended after it started, woken by the journal write (its long-poll waits 20 s otherwise)")
    func logsFollow() async throws {
        try await APIFixture.with { api in
            let path = try api.file("web.yaml", webStack)
            _ = try await api.run(["apply", "-f", path, "--detach"])
            _ = try await api.assignWhenApplied("web@1", stack: "web")
            let file = api.journal + "/web@1+main.log"
            try "first\n".write(toFile: file, atomically: true, encoding: .utf8)
            let follow = Task { try await api.run(["logs", "-f", "web@1/main"]) }
            try await Task.sleep(for: .seconds(1))
            let handle = try #require(FileHandle(forWritingAtPath: file))
            handle.seekToEndOfFile()
            handle.write(Data("late line\n".utf8))
            try handle.close()
            try await Task.sleep(for: .seconds(2))
            follow.cancel()
            let result = try await follow.value
            #expect(result.stdout == "first\nlate line\n", "\(result)")
        }
    }

    @Test("stop, start --detach and destroy change the stack's desired state")
    func stackVerbs() async throws {
        try await APIFixture.with { api in
            let path = try api.file("web.yaml", webStack)
            _ = try await api.run(["apply", "-f", path, "--detach"])
            let stop = try await api.run(["stop", "web"])
            #expect(stop.status == 0 && stop.stdout.contains("web: launched → loaded"))
            #expect(try await api.waitForStack("web").0.desired == .loaded)
            let start = try await api.run(["start", "web", "--detach"])
            #expect(start.stdout.contains("web: loaded → launched"))
            let destroy = try await api.run(["destroy", "web"])
            #expect(destroy.status == 0 && destroy.stdout.contains("web: destroyed"))
            let missing = try await api.run(["stop", "web"])
            #expect(missing.status == 1 && missing.stderr.contains("no stack named 'web'"))
        }
    }

    @Test("plan without --machines plans against the live cluster and exits 2 with the reasons")
    func livePlan() async throws {
        try await APIFixture.with { api in
            let path = try api.file("big.yaml", webStack.replacingOccurrences(of: "memory: 64Mi", with: "memory: 3Gi"))
            let plan = try await api.run(["plan", "-f", path])
            #expect(plan.status == 2, "\(plan.stdout)\n\(plan.stderr)")
            #expect(plan.stdout.contains("1 instance would be unplaced:"))
            #expect(plan.stdout.contains("0/1 machines fit web@1: 1 memory exhausted (needs 3Gi"))
            #expect(try await api.store.range(.prefix(Bytes(utf8: api.layout.stacks))).kvs.isEmpty)
        }
    }

    @Test("fleetctl verbs: submit, list-unit-files, cat, stop, list-units, list-machines and destroy")
    func fleetctl() async throws {
        try await APIFixture.with { api in
            let unit = "[Unit]\nDescription=hello\n\n[Service]\nExecStart=/bin/sleep 1000\n"
            let path = try api.file("hello.service", unit)
            let submit = try await api.run(["fleetctl", "submit", path])
            #expect(submit.status == 0, "\(submit.stderr)")
            #expect(try await api.waitForStack("hello.service").0.desired == .inactive)
            let files = try await api.run(["fleetctl", "list-unit-files"])
            #expect(files.stdout.hasPrefix("UNIT\tHASH\tDSTATE\tSTATE\tTARGET\n"), "exit \(files.status): \(files.stderr)")
            #expect(files.stdout.contains("hello.service\t") && files.stdout.contains("\tinactive\tinactive\t-"))
            let cat = try await api.run(["fleetctl", "cat", "hello"])
            #expect(cat.stdout == unit)
            let token = try await api.assignWhenApplied("hello.service", stack: "hello.service")
            try await api.status("hello.service", "hello.service", .running, token: token)
            let units = try await api.run(["fleetctl", "list-units"])
            #expect(units.stdout.contains("hello.service\tm1/127.0.0.1\tactive\trunning"))
            let machines = try await api.run(["fleetctl", "list-machines"])
            #expect(machines.stdout == "MACHINE\tIP\tMETADATA\nm1\t127.0.0.1\tdisk=ssd\n")
            let unload = try await api.run(["fleetctl", "unload", "hello.service"])
            #expect(unload.stdout == "Unit hello.service inactive\n")
            let destroy = try await api.run(["fleetctl", "destroy", "hello.service"])
            #expect(destroy.stdout == "Destroyed hello.service\n")
        }
    }
}
