@testable import FlotillaAgent
import Foundation
import Glibc
import Synchronization
import Logging
import FlotillaTesting
import Testing

/// The fence watchdog's loop on its own: a real child process listed as an exclusive unit,
/// deadlines written as an agent would, and the watchdog run to its end.
@Suite("Fence watchdog", .serialized)
struct FenceWatchdogTests {
    /// A `sleep` child in a process group of its own, as the exec driver starts units.
    private func spawnSleeper() throws -> FencedUnit {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        let words: [String] = ["/bin/sleep", "1000"]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        try #require(posix_spawn(&pid, "/bin/sleep", nil, &attributes, &argv, environ) == 0)
        let start = try #require(ProcStat.read(pid)?.startTime)
        return FencedUnit(pid: pid, startTime: start, processGroup: pid, cgroups: [])
    }

    /// How `pid` ended (it is our child): the signal that killed it, or nil while it runs.
    private func killingSignal(_ pid: Int32) -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        return status & 0x7f
    }

    private func withFiles(_ body: (FenceFiles) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "flotilla-fence-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/fence", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(FenceFiles(stateDirectory: directory))
    }

    /// A pid that is not this process's parent: the watchdog takes its agent for gone.
    private let goneAgent: Int32 = 999_999

    @Test("once the deadline has passed and the agent is gone, listed units are SIGKILLed and the watchdog ends")
    func killsAfterDeadline() throws {
        try withFiles { files in
            let unit = try spawnSleeper()
            defer { kill(unit.pid, SIGKILL); _ = killingSignal(unit.pid) }
            files.writeExclusive([unit])
            files.writeDeadline(FenceFiles.monotonicNow() + 200_000_000, agent: goneAgent) // 0.2 s from now
            let logged = Mutex<[String]>([])
            let started = FenceFiles.monotonicNow()
            FenceWatchdog(files: files, agent: goneAgent, logger: RecordingLogHandler.logger { line in logged.withLock { $0.append(line) } }).run()
            #expect(FenceFiles.monotonicNow() - started >= 200_000_000, "killed before the deadline")
            var signal: Int32?
            for _ in 0..<100 where signal == nil { signal = killingSignal(unit.pid); usleep(10_000) }
            #expect(signal == SIGKILL)
            #expect(logged.withLock { $0 }.contains { $0.contains("killed exclusive unit (pid \(unit.pid)") })
        }
    }

    @Test("a unit of a stack with disconnect.stop_after is killed that long after the deadline, and the watchdog waits for it")
    func killsDisconnectedAfterStopAfter() throws {
        try withFiles { files in
            let exclusive = try spawnSleeper()
            var plain = try spawnSleeper()
            defer { for pid in [exclusive.pid, plain.pid] { kill(pid, SIGKILL); _ = killingSignal(pid) } }
            plain.grace = 400_000_000 // stop_after 0.4 s
            files.writeExclusive([exclusive])
            files.writeDisconnect([plain])
            #expect(files.readDisconnect() == [plain])
            let deadline = FenceFiles.monotonicNow() + 100_000_000
            files.writeDeadline(deadline, agent: goneAgent)
            let killedAt = Mutex<[Int32: UInt64]>([:])
            let watchdog = Thread {
                FenceWatchdog(files: files, agent: goneAgent, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })).run()
            }
            watchdog.start()
            while killedAt.withLock({ $0.count }) < 2, FenceFiles.monotonicNow() < deadline + 5_000_000_000 {
                for pid in [exclusive.pid, plain.pid] where killedAt.withLock({ $0[pid] }) == nil {
                    if killingSignal(pid) == SIGKILL { killedAt.withLock { $0[pid] = FenceFiles.monotonicNow() } }
                }
                usleep(10_000)
            }
            let times = killedAt.withLock { $0 }
            let exclusiveAt = try #require(times[exclusive.pid], "the exclusive unit was killed")
            let plainAt = try #require(times[plain.pid], "the disconnect unit was killed")
            #expect(exclusiveAt >= deadline && exclusiveAt < deadline + 300_000_000, "the exclusive unit goes at the deadline")
            #expect(plainAt >= deadline + 400_000_000, "the other one only stop_after later")
        }
    }

    @Test("a newer agent that wrote the deadline takes over: the watchdog ends without killing")
    func newerAgentTakesOver() throws {
        try withFiles { files in
            let unit = try spawnSleeper()
            defer { kill(unit.pid, SIGKILL); _ = killingSignal(unit.pid) }
            files.writeExclusive([unit])
            files.writeDeadline(FenceFiles.monotonicNow() - 1, agent: goneAgent + 1) // expired, but another agent's
            FenceWatchdog(files: files, agent: goneAgent, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })).run()
            usleep(50_000)
            #expect(killingSignal(unit.pid) == nil, "the unit still runs")
        }
    }

    @Test("a listed pid whose start time differs (a reused pid) is not killed")
    func reusedPidIsSpared() throws {
        try withFiles { files in
            let unit = try spawnSleeper()
            defer { kill(unit.pid, SIGKILL); _ = killingSignal(unit.pid) }
            var stale = unit
            stale.startTime += 1
            files.writeExclusive([stale])
            files.writeDeadline(FenceFiles.monotonicNow() - 1, agent: goneAgent)
            FenceWatchdog(files: files, agent: goneAgent, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })).run()
            usleep(50_000)
            #expect(killingSignal(unit.pid) == nil, "the unit still runs")
        }
    }
}
