import Foundation
import Glibc
import Logging

/// Kills an agent's exclusive units when the agent has stopped renewing its lease — from a
/// process of its own, so fencing also happens when the agent is frozen (SIGSTOP, a stalled
/// VM, a debugger) or dead, which the agent's own fencing cannot cover (DESIGN.md §6).
///
/// The agent starts one watchdog (`flotilla fence-watchdog`) and shares two files with it
/// (``FenceFiles``). Every ``interval`` the watchdog reads the deadline the agent moves
/// forward after each renewal; once it has passed, it SIGKILLs the process group and cgroup
/// of every exclusive unit listed — before the lease can expire, so the controller's
/// replacement elsewhere never overlaps — and, each its `stop_after` later, of the units of
/// stacks with a `disconnect` policy. It ends when its agent is gone and nothing is left to
/// guard: the deadline (and every listed `stop_after` after it) has passed, or a newer agent
/// writes the deadline (that agent's own watchdog guards them now).
package struct FenceWatchdog: Sendable {
    /// The shared files.
    package let files: FenceFiles
    /// The agent's pid (the watchdog's parent).
    package let agent: Int32
    /// How often the deadline is checked.
    package var interval: Duration = .milliseconds(50)
    /// Where it says which units it killed and why (metadata: the agent's pid).
    package let logger: Logger

    /// A watchdog for `agent`'s units.
    package init(files: FenceFiles, agent: Int32, logger: Logger) {
        self.files = files; self.agent = agent
        var logger = logger
        logger[metadataKey: "agent"] = "\(agent)"
        self.logger = logger
    }

    /// Guards until the agent is gone and nothing is left to guard (see the type's summary).
    package func run() {
        var killed: Set<FencedUnit> = []
        while true {
            let agentAlive = getppid() == agent
            let deadline = files.readDeadline()
            if !agentAlive, let deadline, deadline.agent != agent { return }
            let now = FenceFiles.monotonicNow()
            let expired = deadline.map { now >= $0.nanoseconds } ?? false
            if expired {
                for unit in files.readExclusive() where !killed.contains(unit) {
                    killed.insert(unit)
                    guard Self.kill(unit) else { continue }
                    logger.warning("agent did not renew its lease in time; killed exclusive unit (\(Self.describe(unit)))")
                }
            }
            var waiting = false
            if let deadline {
                for unit in files.readDisconnect() where !killed.contains(unit) {
                    let (due, overflow) = deadline.nanoseconds.addingReportingOverflow(unit.grace)
                    guard !overflow, now >= due else { waiting = true; continue }
                    killed.insert(unit)
                    guard Self.kill(unit) else { continue }
                    logger.warning("agent has not renewed its lease for its stack's disconnect.stop_after; killed unit (\(Self.describe(unit)))")
                }
            }
            if !agentAlive && (deadline == nil || (expired && !waiting)) { return }
            usleep(useconds_t(interval.components.attoseconds / 1_000_000_000_000 + interval.components.seconds * 1_000_000))
        }
    }

    /// `pid 12, process group 12`, or the cgroup of a unit being started.
    private static func describe(_ unit: FencedUnit) -> String {
        unit.pid > 0 ? "pid \(unit.pid), process group \(unit.processGroup)" : "starting, cgroup \(unit.cgroups.joined(separator: " "))"
    }

    /// SIGKILLs the unit's process group if its main process is still the one recorded, and
    /// whatever its cgroup holds (a unit's cgroup is its own: the name carries the run's
    /// serial); true when there was something to kill.
    static func kill(_ unit: FencedUnit) -> Bool {
        var killed = false
        if unit.pid > 1, ProcStat.isAlive(unit.pid, startTime: unit.startTime) {
            if unit.processGroup > 1 { Glibc.kill(-unit.processGroup, SIGKILL) }
            Glibc.kill(unit.pid, SIGKILL)
            killed = true
        }
        if !unit.cgroups.isEmpty {
            CgroupControl.signal(CgroupPlacement(paths: unit.cgroups), SIGKILL)
            killed = true
        }
        return killed
    }
}
