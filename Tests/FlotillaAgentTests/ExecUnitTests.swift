@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Testing

/// systemd semantics with real processes through the `ExecDriver`.
@Suite("Supervisor with real processes: start, stop, restart", .serialized)
struct ExecUnitTests {
    private func status(_ supervisor: Supervisor, _ unit: String = "web") async -> UnitStatus? {
        await supervisor.status(instance: "app@1", unit: unit)
    }

    @Test("a failing ExecStartPre fails the unit before ExecStart runs; ExecStopPost still runs")
    func preFailure() async throws {
        try await withExecSupervisor { supervisor, scratch in
            var spec = shellUnit("web", "touch \(scratch.path("main-ran")); sleep 100")
            spec.execStartPre = [ExecCommand(arguments: ["/bin/false"])]
            spec.execStopPost = [ExecCommand(arguments: ["/bin/touch", scratch.path("stop-post-ran")])]
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await status(supervisor)?.state == .failed })
            #expect(await status(supervisor)?.lastError == "ExecStartPre '/bin/false' exited 1")
            #expect(FileManager.default.fileExists(atPath: scratch.path("stop-post-ran")))
            #expect(!FileManager.default.fileExists(atPath: scratch.path("main-ran")))
        }
    }

    @Test("'-' lets the unit start after a failing ExecStartPre")
    func dashIgnores() async throws {
        try await withExecSupervisor { supervisor, scratch in
            var spec = shellUnit("web", "exec sleep 100")
            spec.execStartPre = [ExecCommand(arguments: ["/bin/false"], ignoreFailure: true),
                                 ExecCommand(arguments: ["/no/such/program"], ignoreFailure: true)]
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await status(supervisor)?.state == .running })
            let current = await status(supervisor)
            #expect(current?.lastError == nil)
            #expect(current?.pid.map(processAlive) == true)
            let journal = scratch.read("journal/app@1+web.log")
            #expect(journal.contains("ExecStartPre '/bin/false' exited 1 (ignored: '-' prefix)"))
            #expect(journal.contains("'/no/such/program' does not exist or is not executable"))
        }
    }

    @Test("oneshot: ExecStart lines run in order and the unit ends exited; RemainAfterExit keeps it running")
    func oneshot() async throws {
        try await withExecSupervisor { supervisor, scratch in
            let file = scratch.path("out")
            var plain = UnitSpec(name: "web")
            plain.type = .oneshot
            plain.execStart = [ExecCommand(arguments: ["/bin/sh", "-c", "echo one >> \(file)"]),
                               ExecCommand(arguments: ["/bin/sh", "-c", "echo two >> \(file)"])]
            var remain = plain
            remain.name = "setup"
            remain.execStart = [ExecCommand(arguments: ["/bin/true"])]
            remain.remainAfterExit = true
            await supervisor.apply([assignment(units: [plain, remain])])
            #expect(await eventually { await status(supervisor)?.state == .exited })
            #expect(scratch.read("out") == "one\ntwo\n")
            #expect(await status(supervisor)?.exitCode == 0)
            #expect(await eventually { await status(supervisor, "setup")?.state == .running })
            #expect(await status(supervisor, "setup")?.pid == nil)
        }
    }

    @Test("Restart=on-failure restarts with a doubling delay and counts restarts")
    func restartBackOff() async throws {
        try await withExecSupervisor { supervisor, scratch in
            var spec = shellUnit("web", "echo run >> \(scratch.path("runs")); exit 3")
            spec.restart = .onFailure
            spec.restartSec = 0.2
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { (await status(supervisor)?.restarts ?? 0) >= 3 })
            let current = await status(supervisor)
            #expect(current?.exitCode == 3)
            #expect(current?.lastError == "main process exited 3")
            await supervisor.apply([assignment(units: [spec], desired: .loaded)])
            #expect(await eventually { await status(supervisor)?.state == .exited })
            let journal = scratch.read("journal/app@1+web.log")
            for delay in ["0.2", "0.4", "0.8"] { #expect(journal.contains("restarting in \(delay) s (Restart=on-failure)")) }
            #expect(scratch.read("runs").split(separator: "\n").count >= 3)
        }
    }

    @Test("TimeoutStopSec: a process that ignores SIGTERM, and its child, die by SIGKILL to the group")
    func stopEscalates() async throws {
        try await withExecSupervisor { supervisor, scratch in
            let childFile = scratch.path("child.pid")
            // `$$!` is `$!` after the unit-file escaping of `$`.
            var spec = shellUnit("web", "trap '' TERM; sleep 1000 & echo $$! > \(childFile); wait; wait")
            spec.timeoutStopSec = 0.5
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await status(supervisor)?.state == .running && !scratch.read("child.pid").isEmpty })
            let main = try #require(await status(supervisor)?.pid)
            let child = try #require(Int32(scratch.read("child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(processAlive(main) && processAlive(child))
            await supervisor.apply([assignment(units: [spec], desired: .loaded)])
            #expect(await eventually { await status(supervisor)?.state == .failed })
            let stopped = await status(supervisor)
            #expect(stopped?.exitSignal == 9)
            #expect(stopped?.lastError?.contains("after SIGTERM (TimeoutStopSec); sent SIGKILL") == true)
            #expect(await eventually { !processAlive(main) && !processAlive(child) })
        }
    }

    @Test("a new spec revision stops the old process and starts the new one")
    func newRevision() async throws {
        try await withExecSupervisor { supervisor, _ in
            let first = shellUnit("web", "exec sleep 101")
            await supervisor.apply([assignment(units: [first], revision: 1)])
            #expect(await eventually { await status(supervisor)?.state == .running })
            let old = try #require(await status(supervisor)?.pid)
            await supervisor.apply([assignment(units: [shellUnit("web", "exec sleep 102")], revision: 2)])
            #expect(await eventually {
                guard let current = await status(supervisor) else { return false }
                return current.state == .running && current.pid != old
            })
            #expect(!processAlive(old))
        }
    }
}
