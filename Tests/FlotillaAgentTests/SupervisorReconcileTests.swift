@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Synchronization
import FlotillaTesting
import Testing

/// Level-triggered apply over the fake driver: ordering, replacement, removal, statuses.
@Suite("Supervisor: apply with the fake driver")
struct SupervisorReconcileTests {
    /// Runs `body` with a supervisor over a `FakeDriver` whose `/bin/wait-*` commands run
    /// until the test ends them.
    private func withFake(_ body: (Supervisor, FakeDriver, ChangeLog) async throws -> Void) async throws {
        let scratch = Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.directory) }
        let driver = FakeDriver()
        let supervisor = Supervisor(configuration: scratch.configuration(), driver: driver)
        let log = ChangeLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { for await change in supervisor.changes { log.append(change) } }
            defer { group.cancelAll() }
            try await whileRunning(supervisor) { try await body(supervisor, driver, log) }
        }
    }

    private func spec(_ name: String, after: [String] = [], pre: [String] = [], program: String = "/srv/run") -> UnitSpec {
        var spec = UnitSpec(name: name)
        spec.execStart = [ExecCommand(arguments: [program])]
        spec.execStartPre = pre.map { ExecCommand(arguments: [$0]) }
        spec.after = after
        return spec
    }

    private func state(_ supervisor: Supervisor, _ unit: String, in instance: String = "app@1") async -> UnitState? {
        await supervisor.status(instance: instance, unit: unit)?.state
    }

    @Test("a unit waits for the units it lists in after to be running")
    func afterOrder() async throws {
        try await withFake { supervisor, driver, _ in
            await supervisor.apply([assignment(units: [spec("web", after: ["db"]), spec("db", pre: ["/bin/wait-db"])])])
            #expect(await eventually { await state(supervisor, "db") == .starting })
            try await Task.sleep(for: .milliseconds(100))
            #expect(await state(supervisor, "web") == .pending)
            let pre = try #require(driver.runningPids.first)
            driver.exit(pre, .exited(0))
            #expect(await eventually { await state(supervisor, "web") == .running })
            #expect(driver.spawned.map(\.arguments[0]) == ["/bin/wait-db", "/srv/run", "/srv/run"])
        }
    }

    @Test("units stop in reverse after order when the instance leaves; statuses are removed")
    func removal() async throws {
        try await withFake { supervisor, driver, log in
            var db = spec("db")
            db.execStop = [ExecCommand(arguments: ["/bin/wait-stop"])]
            await supervisor.apply([assignment(units: [db, spec("web", after: ["db"])])])
            #expect(await eventually { await supervisor.statuses().allSatisfy { $0.state == .running } })
            let dbPid = try #require(await supervisor.status(instance: "app@1", unit: "db")?.pid)
            let webPid = try #require(await supervisor.status(instance: "app@1", unit: "web")?.pid)
            await supervisor.apply([])
            #expect(await eventually { driver.spawned.last?.arguments == ["/bin/wait-stop"] })
            #expect(await state(supervisor, "web") == .exited)
            #expect(await state(supervisor, "db") == .stopping)
            #expect(driver.spawned.last?.environment.contains("MAINPID=\(dbPid)") == true)
            #expect(driver.signals.first.map { $0.pid == webPid && $0.signal == 15 } == true)
            #expect(driver.signals.allSatisfy { $0.pid == webPid })
            let stopPid = try #require(driver.runningPids.first { $0 != dbPid })
            driver.exit(stopPid, .exited(0))
            #expect(await eventually { await supervisor.statuses().isEmpty })
            #expect(await eventually { Set(log.removed) == ["app@1/db", "app@1/web"] })
            #expect(driver.runningPids.isEmpty)
        }
    }

    @Test("desired loaded stops the units and keeps them as exited; launched starts them again")
    func loadedAndLaunched() async throws {
        try await withFake { supervisor, driver, _ in
            await supervisor.apply([assignment(units: [spec("web")])])
            #expect(await eventually { await state(supervisor, "web") == .running })
            await supervisor.apply([assignment(units: [spec("web")], desired: .loaded)])
            #expect(await eventually { await state(supervisor, "web") == .exited })
            #expect(driver.runningPids.isEmpty)
            await supervisor.apply([assignment(units: [spec("web")], desired: .launched)])
            #expect(await eventually { await state(supervisor, "web") == .running })
            #expect(driver.runningPids.count == 1)
        }
    }

    @Test("a loaded assignment never starts its units; their status reads exited")
    func loadedNeverStarts() async throws {
        try await withFake { supervisor, driver, _ in
            await supervisor.apply([assignment(units: [spec("web")], desired: .loaded)])
            try await Task.sleep(for: .milliseconds(100))
            #expect(await state(supervisor, "web") == .exited)
            #expect(driver.spawnCount == 0)
        }
    }

    @Test("apply is level-triggered: the same list twice changes nothing; a new token is taken over in place")
    func idempotent() async throws {
        try await withFake { supervisor, driver, _ in
            await supervisor.apply([assignment(units: [spec("web")], token: 10)])
            #expect(await eventually { await state(supervisor, "web") == .running })
            await supervisor.apply([assignment(units: [spec("web")], token: 10)])
            await supervisor.apply([assignment(units: [spec("web")], token: 11)])
            try await Task.sleep(for: .milliseconds(100))
            #expect(driver.spawnCount == 1)
            #expect(await supervisor.status(instance: "app@1", unit: "web")?.fencingToken == 11)
        }
    }

    @Test("a new spec revision with the same units is taken over in place (same pid); new units replace the instance")
    func sameUnitsNewRevision() async throws {
        try await withFake { supervisor, driver, _ in
            await supervisor.apply([assignment(units: [spec("web")], revision: 1, token: 10)])
            #expect(await eventually { await state(supervisor, "web") == .running })
            let pid = try #require(await supervisor.status(instance: "app@1", unit: "web")?.pid)
            await supervisor.apply([assignment(units: [spec("web")], revision: 5, token: 12)])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "web")?.fencingToken == 12 })
            #expect(await supervisor.status(instance: "app@1", unit: "web")?.pid == pid)
            #expect(driver.spawnCount == 1)
            await supervisor.apply([assignment(units: [spec("web", program: "/srv/run-v2")], revision: 6, token: 13)])
            #expect(await eventually { await state(supervisor, "web") == .running && driver.spawnCount == 2 })
            #expect(driver.spawned.map(\.arguments[0]) == ["/srv/run", "/srv/run-v2"])
            #expect(!driver.runningPids.contains(pid))
        }
    }

    @Test("a fenced exclusive unit comes back for an assignment with a newer fencing token")
    func newerTokenLiftsFence() async throws {
        try await withFake { supervisor, driver, _ in
            var db = spec("db")
            db.exclusive = true
            await supervisor.apply([assignment(units: [db], token: 10)])
            #expect(await eventually { await state(supervisor, "db") == .running })
            await supervisor.fence()
            #expect(driver.runningPids.isEmpty)
            await supervisor.apply([assignment(units: [db], token: 10), assignment("new@1", units: [db], token: 10)])
            try await Task.sleep(for: .milliseconds(100))
            #expect(await state(supervisor, "db") == .exited)
            #expect(await state(supervisor, "db", in: "new@1") == .pending)
            await supervisor.apply([assignment(units: [db], token: 12), assignment("new@1", units: [db], token: 13)])
            #expect(await eventually { await state(supervisor, "db") == .running })
            #expect(await eventually { await state(supervisor, "db", in: "new@1") == .running })
        }
    }

    @Test("published statuses carry machine, pid, restarts and come in order")
    func publishes() async throws {
        try await withFake { supervisor, driver, log in
            var web = spec("web")
            web.restart = .always
            web.restartSec = 0.05
            await supervisor.apply([assignment(units: [web])])
            #expect(await eventually { await state(supervisor, "web") == .running })
            let first = try #require(driver.runningPids.first)
            driver.exit(first, .exited(1))
            #expect(await eventually { (await supervisor.status(instance: "app@1", unit: "web")?.restarts ?? 0) == 1 })
            #expect(await eventually { log.states("app@1/web").last == .running })
            // Statuses are levels: states passed within one step (pending, starting) are not published.
            let states = log.states("app@1/web")
            #expect(states.first == .running)
            #expect(states.contains(.restarting))
            let status = try #require(await supervisor.status(instance: "app@1", unit: "web"))
            #expect(status.machine == "m1")
            #expect(status.pid == driver.runningPids.first)
            #expect(status.exitCode == 1)
        }
    }
}

/// Every change a supervisor published, for assertions.
final class ChangeLog: Sendable {
    private let changes = Mutex<[UnitStatusChange]>([])

    func append(_ change: UnitStatusChange) { changes.withLock { $0.append(change) } }

    /// `instance/unit` of every removal, in order.
    var removed: [String] {
        changes.withLock { $0.compactMap { if case .removed(let i, let u) = $0 { "\(i)/\(u)" } else { nil } } }
    }

    /// The states published for `instance/unit`, in order, repeats collapsed.
    func states(_ key: String) -> [UnitState] {
        changes.withLock { changes in
            var states: [UnitState] = []
            for case .updated(let status) in changes where "\(status.instance)/\(status.unit)" == key && states.last != status.state {
                states.append(status.state)
            }
            return states
        }
    }
}
