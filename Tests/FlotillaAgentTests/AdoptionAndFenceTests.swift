@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Glibc
import Testing

/// Agent restarts and self-fencing, with real processes.
@Suite("Supervisor: adoption after an agent restart, fencing", .serialized)
struct AdoptionAndFenceTests {
    private func sleeper(_ name: String, _ marker: String, exclusive: Bool = false) -> UnitSpec {
        var spec = UnitSpec(name: name)
        spec.execStart = [ExecCommand(arguments: ["/bin/sleep", marker])]
        spec.exclusive = exclusive
        spec.timeoutStopSec = 5
        return spec
    }

    /// A unique sleep duration, so the test can count its processes in /proc.
    private func marker() -> String { "\(Int.random(in: 100_000...999_999)).5" }

    @Test("a new supervisor adopts the running process instead of starting a second one; it stops it later")
    func adoptsAfterCrash() async throws {
        let scratch = Scratch()
        let mark = marker()
        let work = assignment(units: [sleeper("db", mark)])
        var pids: [Int32] = []
        defer { for pid in pids { kill(-pid, SIGKILL) } }
        let first = ExecDriver(cgroups: scratch.cgroups)
        let crashed = Supervisor(configuration: scratch.configuration(), driver: first)
        try await whileRunning(crashed) {
            await crashed.apply([work])
            #expect(await eventually { await crashed.status(instance: "app@1", unit: "db")?.state == .running })
        }
        let pid = try #require(await crashed.status(instance: "app@1", unit: "db")?.pid)
        pids.append(pid)
        first.shutdown() // the agent "crashed": its units were not stopped

        let second = ExecDriver(cgroups: scratch.cgroups)
        defer { second.shutdown() }
        let restarted = Supervisor(configuration: scratch.configuration(), driver: second)
        let adopted = await restarted.status(instance: "app@1", unit: "db")
        #expect(adopted?.state == .running)
        #expect(adopted?.pid == pid)
        try await whileRunning(restarted) {
            await restarted.apply([work])
            try await Task.sleep(for: .milliseconds(300))
            #expect(await restarted.status(instance: "app@1", unit: "db")?.pid == pid)
            #expect(processes(withCommandLine: ["/bin/sleep", mark]) == [pid])
            await restarted.apply([])
            #expect(await eventually { await restarted.statuses().isEmpty })
        }
        #expect(await eventually { !processAlive(pid) })
        await scratch.remove()
    }

    @Test("after a restart, units of instances no longer assigned are stopped by the first apply; a dead one is started again")
    func noOrphans() async throws {
        let scratch = Scratch()
        let (gone, kept, died) = (marker(), marker(), marker())
        var pids: [Int32] = []
        defer { for pid in pids { kill(-pid, SIGKILL) } }
        let old = assignment("old@1", units: [sleeper("db", gone)])
        let stay = assignment("stay@1", units: [sleeper("db", kept), sleeper("web", died)])
        let first = ExecDriver(cgroups: scratch.cgroups)
        let crashed = Supervisor(configuration: scratch.configuration(), driver: first)
        try await whileRunning(crashed) {
            await crashed.apply([old, stay])
            #expect(await eventually { await crashed.statuses().allSatisfy { $0.state == .running } })
        }
        pids = await crashed.statuses().compactMap(\.pid)
        first.shutdown()
        let webPid = try #require(await crashed.status(instance: "stay@1", unit: "web")?.pid)
        kill(webPid, SIGKILL) // dies while no agent runs
        #expect(await eventually { !processAlive(webPid) })

        let second = ExecDriver(cgroups: scratch.cgroups)
        defer { second.shutdown() }
        let restarted = Supervisor(configuration: scratch.configuration(), driver: second)
        #expect(await restarted.status(instance: "stay@1", unit: "web")?.state == .pending)
        try await whileRunning(restarted) {
            await restarted.apply([stay])
            #expect(await eventually { processes(withCommandLine: ["/bin/sleep", gone]).isEmpty })
            #expect(await eventually { await restarted.status(instance: "stay@1", unit: "web")?.state == .running })
            #expect(processes(withCommandLine: ["/bin/sleep", kept]).count == 1)
            // (until the cgroup-joining shell execs, the new process's command line is the shell's)
            #expect(await eventually { processes(withCommandLine: ["/bin/sleep", died]).count == 1 })
            // The process is gone before the supervisor has handled its exit and forgotten it.
            #expect(await eventually { await restarted.status(instance: "old@1", unit: "db") == nil })
            pids += await restarted.statuses().compactMap(\.pid)
            await stopEverything(restarted)
        }
        await scratch.remove()
    }

    @Test("fence() kills exclusive units only and returns when they are dead; they stay down until unfenced")
    func fence() async throws {
        try await withExecSupervisor { supervisor, _ in
            let db = sleeper("db", marker(), exclusive: true)
            var slowStop = db
            slowStop.execStop = [ExecCommand(arguments: ["/bin/sleep", "30"])] // fencing must not wait for it
            slowStop.timeoutStopSec = 1 // (the final clean-up does)
            let work = assignment(units: [slowStop, sleeper("web", marker())])
            await supervisor.apply([work])
            #expect(await eventually { await supervisor.statuses().allSatisfy { $0.state == .running } })
            let dbPid = try #require(await supervisor.status(instance: "app@1", unit: "db")?.pid)
            let webPid = try #require(await supervisor.status(instance: "app@1", unit: "web")?.pid)
            await supervisor.fence()
            #expect(!processAlive(dbPid))
            #expect(processAlive(webPid))
            let fenced = await supervisor.status(instance: "app@1", unit: "db")
            #expect(fenced?.state == .exited)
            #expect(fenced?.lastError?.contains("fencing") == true)
            await supervisor.apply([work]) // the same assignment again: still fenced
            try await Task.sleep(for: .milliseconds(200))
            #expect(await supervisor.status(instance: "app@1", unit: "db")?.state == .exited)
            await supervisor.unfence()
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "db")?.state == .running })
            #expect(await supervisor.status(instance: "app@1", unit: "web")?.pid == webPid)
        }
    }

    @Test("with disconnect.stop_after, fence() kills the other units too, that long after the lapse; they stay down until unfenced")
    func disconnectStopAfter() async throws {
        try await withExecSupervisor { supervisor, _ in
            var web = assignment(units: [sleeper("web", marker())])
            web.stopAfterDisconnect = 0.5
            let keep = assignment("other@1", units: [sleeper("main", marker())])
            await supervisor.apply([web, keep])
            #expect(await eventually {
                let statuses = await supervisor.statuses()
                return statuses.count == 2 && statuses.allSatisfy { $0.state == .running }
            })
            let webPid = try #require(await supervisor.status(instance: "app@1", unit: "web")?.pid)
            let keepPid = try #require(await supervisor.status(instance: "other@1", unit: "main")?.pid)
            let lapsed = ContinuousClock.now
            await supervisor.fence()
            #expect(processAlive(webPid), "nothing happens before stop_after")
            #expect(await eventually { !processAlive(webPid) })
            #expect(ContinuousClock.now - lapsed >= .milliseconds(500))
            #expect(await supervisor.status(instance: "app@1", unit: "web")?.lastError?.contains("fencing") == true)
            #expect(processAlive(keepPid), "a stack without the policy keeps running")
            try await Task.sleep(for: .milliseconds(300))
            #expect(await supervisor.status(instance: "app@1", unit: "web")?.state == .exited, "it stays down while the lease is lapsed")
            await supervisor.unfence()
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "web")?.state == .running })
        }
    }
}
