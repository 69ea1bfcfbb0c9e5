@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Testing

/// Timer-driven units with real processes: `schedule:` (cron, `@every`) and `.timer` triggers.
@Suite("Supervisor with real processes: timers", .serialized)
struct TimerUnitTests {
    /// A oneshot unit named `job` running `script`, on `timer`.
    private func scheduled(_ script: String, _ timer: TimerSpec) -> UnitSpec {
        var spec = shellUnit("job", script)
        spec.type = .oneshot
        spec.timer = timer
        return spec
    }

    @Test("@every 1s: the unit waits for its first time, runs at each one, and reports its last and next run")
    func runsOnSchedule() async throws {
        try await withExecSupervisor { supervisor, scratch in
            let file = scratch.path("runs")
            await supervisor.apply([assignment(units: [scheduled("date +%s.%N >> \(file)", TimerSpec(cron: "@every 1s"))])])
            let first = await supervisor.status(instance: "app@1", unit: "job")
            #expect(first?.state == .pending && first?.lastRun == nil)
            #expect(first?.nextRun.map { $0 == $0.rounded() } == true, "@every runs on whole multiples")
            #expect(await eventually(seconds: 8) { scratch.read("runs").split(separator: "\n").count >= 3 })
            let runs = scratch.read("runs").split(separator: "\n").compactMap { Double($0) }
            for (earlier, later) in zip(runs, runs.dropFirst()) {
                #expect(later - earlier > 0.5 && later - earlier < 1.6, "one run per second: \(runs)")
            }
            let now = await supervisor.status(instance: "app@1", unit: "job")
            #expect(now?.lastRun != nil && now?.nextRun != nil)
            #expect((now?.nextRun ?? 0) > (now?.lastRun ?? .infinity))
        }
    }

    @Test("a run due while the last one still runs is skipped and noted in the journal")
    func overlapSkipped() async throws {
        try await withExecSupervisor { supervisor, scratch in
            let file = scratch.path("starts")
            await supervisor.apply([assignment(units: [scheduled("echo start >> \(file); sleep 2.5", TimerSpec(cron: "@every 1s"))])])
            #expect(await eventually(seconds: 10) { scratch.read("journal/app@1+job.log").contains("is skipped: the last run still runs") })
            #expect(await eventually(seconds: 10) { scratch.read("starts").split(separator: "\n").count >= 2 })
            // Skipped times do not start a second copy: never two runs at once.
            let pids = await supervisor.statuses().compactMap(\.pid)
            #expect(pids.count <= 1)
        }
    }

    @Test("OnUnitActiveSec: the first run one interval after the timer starts, then one interval after each run")
    func onUnitActive() async throws {
        try await withExecSupervisor { supervisor, scratch in
            let file = scratch.path("runs")
            let started = Date().timeIntervalSince1970
            await supervisor.apply([assignment(units: [scheduled("date +%s.%N >> \(file)", TimerSpec(onUnitActiveSec: 1))])])
            #expect(await eventually(seconds: 8) { scratch.read("runs").split(separator: "\n").count >= 2 })
            let runs = scratch.read("runs").split(separator: "\n").compactMap { Double($0) }
            #expect((runs.first ?? 0) - started >= 0.9, "not at once: \(runs.first ?? 0) vs \(started)")
        }
    }
}
