@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Synchronization
import FlotillaTesting
import Testing

/// What the supervisor tells the fence watchdog (`<state>/fence/exclusive`), and when.
@Suite("Supervisor: exclusive units listed for the fence watchdog")
struct FenceListingTests {
    @Test("an exclusive unit's cgroup is listed before its process is spawned, then its main process; other units never")
    func listedBeforeSpawn() async throws {
        let scratch = Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.directory) }
        let files = FenceFiles(stateDirectory: scratch.directory)
        let seenAtSpawn = Mutex<[String: [FencedUnit]]>([:])
        let driver = FakeDriver { request in
            let program = request.arguments.first ?? ""
            seenAtSpawn.withLock { $0[program] = files.readExclusive() }
            return FakeDriver.defaultBehavior(request)
        }
        var configuration = scratch.configuration()
        configuration.fenceFiles = files
        try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        let supervisor = Supervisor(configuration: configuration, driver: driver)
        var fenced = UnitSpec(name: "lock")
        fenced.execStartPre = [ExecCommand(arguments: ["/bin/true"])] // the fake driver ends `true` at once
        fenced.execStart = [ExecCommand(arguments: ["/srv/lock"])]
        fenced.exclusive = true
        var plain = UnitSpec(name: "web")
        plain.execStart = [ExecCommand(arguments: ["/srv/web"])]
        try await whileRunning(supervisor) {
            await supervisor.apply([assignment(units: [fenced, plain])])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "lock")?.state == .running })
            let seen = seenAtSpawn.withLock { $0 }
            // ExecStartPre= and ExecStart= each found the unit's cgroup listed before they were spawned.
            for program in ["/bin/true", "/srv/lock"] {
                let listed = seen[program] ?? []
                #expect(listed.count == 1 && listed[0].cgroups.first?.contains("app@1_lock_") == true, "at \(program): \(listed)")
            }
            #expect(seen["/srv/web"]?.allSatisfy { !$0.cgroups.joined().contains("_web_") } == true)
            let pid = try #require(await supervisor.status(instance: "app@1", unit: "lock")?.pid)
            #expect(await eventually { files.readExclusive().map(\.pid) == [pid] })
            await supervisor.apply([])
            #expect(await eventually { files.readExclusive().isEmpty })
        }
    }

    @Test("the watchdog never signals pid 0 or a process group below 2; a cgroup-only entry is only its cgroup")
    func watchdogKillsOnlyWhatIsNamed() {
        // A placeholder for a unit whose process is being spawned: nothing but its cgroup.
        let starting = FencedUnit(pid: 0, startTime: 0, processGroup: 0, cgroups: [])
        #expect(!FenceWatchdog.kill(starting), "nothing named, nothing killed (and not kill(0), our own group)")
        let gone = FencedUnit(pid: Int32.max - 1, startTime: 1, processGroup: 0, cgroups: [])
        #expect(!FenceWatchdog.kill(gone))
    }
}
