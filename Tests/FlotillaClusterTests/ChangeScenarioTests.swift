import FlotillaAPI
import FlotillaStore
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

extension ClusterScenarioTests {
    /// Issue 11, point 6: `env_from` reads store keys. Before the key exists the instance waits
    /// (apply exits 2 and says for what); once written, the unit runs with its value; a new
    /// value replaces the instance, which then runs with the new value.
    @Test("env_from: a unit waits for its store key, starts with its value, and restarts with a new one", arguments: StoreKind.allCases)
    func environmentFromStore(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 2, name: "env-from") { cluster in
            let prefix = "/env-test-\(UUID().uuidString.prefix(8).lowercased())/app/"
            let file = try cluster.write("greeter.yaml", """
                version: 1
                stacks:
                  greeter:
                    count: 1
                    update: { min_healthy_time: 500ms }
                    units:
                      main:
                        exec: [/bin/sleep, "100000"]
                        env_from: ["\(prefix)"]
                """)
            let waiting = try await cluster.cli(["apply", "-f", file, "--timeout", "20s"])
            #expect(waiting.status == 2, "\(waiting)")
            #expect(waiting.output.contains("waiting for store key a key under \(prefix) (env_from)"), "\(waiting)")

            let client = try cluster.client()
            /// The pid of greeter@1's running unit whose GREETING is `value`.
            func running(with value: String) async throws -> Int32? {
                let status = try await client.status(stack: "greeter").status("greeter@1", "main")
                guard let status, status.state == .running, let pid = status.pid,
                      UnitProcesses.environment(of: pid)["GREETING"] == value else { return nil }
                return pid
            }
            let store = try cluster.storeClient()
            do {
                _ = try await store.put(PutRequest(key: Bytes(utf8: prefix + "GREETING"), value: Bytes(utf8: "hello")))
                let first = try await eventually("greeter@1 running with GREETING=hello", timeout: .seconds(30)) {
                    try await running(with: "hello")
                }
                _ = try await store.put(PutRequest(key: Bytes(utf8: prefix + "GREETING"), value: Bytes(utf8: "bye")))
                let second = try await eventually("greeter@1 running with GREETING=bye", timeout: .seconds(30)) {
                    try await running(with: "bye")
                }
                #expect(second != first)
                try await eventually("the process with the old value to end", timeout: .seconds(30)) {
                    UnitProcesses.isAlive(first) ? nil : true
                }
                _ = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: prefix), rangeEnd: KeyRange.prefixEnd(Bytes(utf8: prefix))))
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }
}

extension ClusterScenarioTests {
    /// Issue 11, point 4: a unit whose health check fails `failures` times in a row is stopped
    /// as a failure and, under `restart: always`, started again: a new process, the reason in
    /// its status and in `status`'s WHY line.
    @Test("a failing health check restarts the unit under its restart policy", arguments: StoreKind.allCases)
    func failingHealthCheckRestarts(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 2, name: "health-restart") { cluster in
            let file = try cluster.write("sick.yaml", """
                version: 1
                stacks:
                  sick:
                    count: 1
                    units:
                      main:
                        exec: [/bin/sleep, "100000"]
                        restart: always
                        restart_sec: 100ms
                        health: { exec: [/bin/false], interval: 200ms, failures: 2 }
                """)
            _ = try await cluster.cli(["apply", "-f", file, "--detach"])
            let client = try cluster.client()
            let first = try await eventually("sick@1 running", timeout: .seconds(30)) {
                try await client.status(stack: "sick").status("sick@1", "main").flatMap { $0.state == .running ? $0.pid : nil }
            }
            let restarted = try await eventually("sick@1 restarted for its health", timeout: .seconds(30)) {
                try await client.status(stack: "sick").status("sick@1", "main").flatMap { status in
                    status.restarts >= 1 && status.state == .running && status.pid != first ? status : nil
                }
            }
            #expect(restarted.lastError == "health check failed 2 times in a row")
            try await eventually("the first process to end", timeout: .seconds(30)) { UnitProcesses.isAlive(first) ? nil : true }
        }
    }
}
