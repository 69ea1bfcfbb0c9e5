@testable import FlotillaAgent
import FlotillaModel
import Foundation
import FlotillaTesting
import Testing

/// Start-before-stop (``Assignment/startFirst``) over the fake driver: the new run starts
/// beside the old one, which stops once the new one is up or has failed, and never shows in
/// the statuses.
@Suite("Supervisor: start before stop")
struct StartFirstTests {
    private func unit(_ program: String, pre: String? = nil) -> UnitSpec {
        var spec = UnitSpec(name: "web")
        spec.execStart = [ExecCommand(arguments: [program])]
        spec.execStartPre = pre.map { [ExecCommand(arguments: [$0])] } ?? []
        return spec
    }

    /// Runs `body` with a supervisor over a fresh fake driver once `app@1` runs `/srv/v1`
    /// (revision 1, token 10), whose pid it is given.
    private func withV1Running(_ body: (Supervisor, FakeDriver, Int32) async throws -> Void) async throws {
        let scratch = Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.directory) }
        let driver = FakeDriver()
        let supervisor = Supervisor(configuration: scratch.configuration(), driver: driver)
        try await whileRunning(supervisor) {
            await supervisor.apply([assignment(units: [unit("/srv/v1")], revision: 1, token: 10)])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "web")?.state == .running })
            try await body(supervisor, driver, try #require(await supervisor.status(instance: "app@1", unit: "web")?.pid))
        }
    }

    private func replacement(_ spec: UnitSpec, upFor: Double = 0, atMost: Double = 60) -> Assignment {
        var next = assignment(units: [spec], revision: 2, token: 12)
        next.startFirst = Overlap(upFor: upFor, atMost: atMost)
        return next
    }

    @Test("the old run keeps running until the new one is running, then stops; only the new one is published")
    func oldStopsOnceNewIsUp() async throws {
        try await withV1Running { supervisor, driver, old in
            await supervisor.apply([replacement(unit("/srv/v2", pre: "/bin/wait-pre"))])
            #expect(await eventually { driver.spawned.map(\.arguments[0]).contains("/bin/wait-pre") })
            try await Task.sleep(for: .milliseconds(100))
            #expect(driver.runningPids.contains(old), "the old run runs while the new one starts")
            #expect(await supervisor.status(instance: "app@1", unit: "web")?.state == .starting)
            #expect(await supervisor.statuses().map(\.instance) == ["app@1"])
            let pre = try #require(driver.runningPids.first { $0 != old })
            driver.exit(pre, .exited(0))
            #expect(await eventually { !driver.runningPids.contains(old) }, "the old run stops once the new one is up")
            let now = try #require(await supervisor.status(instance: "app@1", unit: "web"))
            #expect(now.state == .running && now.pid != old && now.fencingToken == 12)
            #expect(await supervisor.statuses().map(\.instance) == ["app@1"])
        }
    }

    @Test("a new run that fails ends the old one too; without startFirst the old one stops first")
    func failedNewRunAndStopFirst() async throws {
        try await withV1Running { supervisor, driver, old in
            await supervisor.apply([replacement(unit("/bin/false"))])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "web")?.state == .failed })
            #expect(await eventually { !driver.runningPids.contains(old) })

            var stopFirst = assignment(units: [unit("/srv/v3", pre: "/bin/wait-pre")], revision: 3, token: 13)
            stopFirst.startFirst = nil
            await supervisor.apply([assignment(units: [unit("/srv/v1")], revision: 1, token: 14)])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "web")?.state == .running })
            let second = try #require(await supervisor.status(instance: "app@1", unit: "web")?.pid)
            await supervisor.apply([stopFirst])
            #expect(await eventually { driver.spawned.map(\.arguments[0]).last == "/bin/wait-pre" })
            #expect(!driver.runningPids.contains(second), "stop first: the old run was gone before the new one started")
        }
    }

    @Test("an agent restarted while a run is kept aside adopts it, and stops it once the new run is up")
    func asideRunAdoptedAndStopped() async throws {
        let scratch = Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.directory) }
        let driver = FakeDriver()
        let first = Supervisor(configuration: scratch.configuration(), driver: driver)
        let next = replacement(unit("/srv/v2", pre: "/bin/wait-pre"))
        let old = try await whileRunning(first) {
            await first.apply([assignment(units: [unit("/srv/v1")], revision: 1, token: 10)])
            #expect(await eventually { await first.status(instance: "app@1", unit: "web")?.state == .running })
            let old = try #require(await first.status(instance: "app@1", unit: "web")?.pid)
            await first.apply([next])
            #expect(await eventually { driver.spawned.map(\.arguments[0]).contains("/bin/wait-pre") })
            return old
        }
        #expect(driver.runningPids.contains(old), "the agent stopped; the old run still runs")
        let restarted = Supervisor(configuration: scratch.configuration(), driver: driver)
        try await whileRunning(restarted) {
            await restarted.apply([next])
            // The new run's interrupted ExecStartPre runs again; the adopted old run waits for it.
            #expect(await eventually { driver.spawned.filter { $0.arguments[0] == "/bin/wait-pre" }.count == 2 })
            try await Task.sleep(for: .milliseconds(100))
            #expect(driver.runningPids.contains(old), "\(driver.signals) \(driver.spawned.map { ($0.arguments, $0.cgroup) })")
            let pre = try #require(driver.runningPids.first { $0 != old })
            driver.exit(pre, .exited(0))
            #expect(await eventually { !driver.runningPids.contains(old) }, "the adopted aside run is stopped")
            #expect(await restarted.statuses().map(\.instance) == ["app@1"])
        }
    }
}

extension StartFirstTests {
    @Test("assigned the old units again before the old run stopped (a revert), the old run takes the instance back without a restart")
    func revertTakesTheOldRunBack() async throws {
        try await withV1Running { supervisor, driver, old in
            await supervisor.apply([replacement(unit("/srv/v2", pre: "/bin/wait-pre"))])
            #expect(await eventually { driver.spawned.map(\.arguments[0]).contains("/bin/wait-pre") })
            var revert = assignment(units: [unit("/srv/v1")], revision: 3, token: 14)
            revert.startFirst = Overlap(upFor: 0, atMost: 60)
            await supervisor.apply([revert])
            #expect(await eventually { driver.runningPids == [old] }, "the new run's ExecStartPre is stopped; the old run runs on")
            let now = try #require(await supervisor.status(instance: "app@1", unit: "web"))
            #expect(now.pid == old && now.state == .running && now.fencingToken == 14)
            #expect(await supervisor.statuses().map(\.instance) == ["app@1"])
            #expect(driver.spawned.map(\.arguments[0]) == ["/srv/v1", "/bin/wait-pre"], "nothing was started again")
            driver.exit(old, .exited(3))
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "web")?.exitCode == 3 },
                    "the run taken back still hears of its process's exit")
        }
    }
}

extension StartFirstTests {
    @Test("the old run stops only once the new one has been up for upFor; a new run never up stops it at atMost")
    func overlapBounds() async throws {
        try await withV1Running { supervisor, driver, old in
            let replaced = ContinuousClock.now
            await supervisor.apply([replacement(unit("/srv/v2"), upFor: 0.6)])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "web")?.fencingToken == 12 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(driver.runningPids.contains(old), "the new run is up, but not for upFor yet")
            #expect(await eventually { !driver.runningPids.contains(old) })
            #expect(ContinuousClock.now - replaced >= .milliseconds(600))

            // A new run whose ExecStartPre never ends is never up: the old one goes at atMost.
            var third = replacement(unit("/srv/v3", pre: "/bin/wait-pre"), atMost: 0.5)
            third.specRevision = 3
            let second = try #require(await supervisor.status(instance: "app@1", unit: "web")?.pid)
            await supervisor.apply([third])
            #expect(await eventually { driver.spawned.map(\.arguments[0]).last == "/bin/wait-pre" })
            #expect(driver.runningPids.contains(second))
            #expect(await eventually { !driver.runningPids.contains(second) }, "stopped at atMost")
            #expect(await supervisor.status(instance: "app@1", unit: "web")?.state == .starting)
        }
    }
}
