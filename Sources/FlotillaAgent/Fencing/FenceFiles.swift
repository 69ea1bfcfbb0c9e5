import Foundation
import Glibc

/// What an agent shares with its fence watchdog, in `<state>/fence/`:
///
/// - `deadline`: `<ns> <agent pid>` — until when (CLOCK_MONOTONIC, nanoseconds) the machine's
///   lease is surely alive. The agent moves it forward after every renewal.
/// - `exclusive`: one line per running exclusive unit, `<pid> <start time> <process group>
///   [<cgroup>…]`: the main process, its start time (so a reused pid is never taken for it),
///   its process group and the unit's cgroup directories. A unit whose processes are being
///   started, or that has only a control process (`ExecStartPre=`…), is listed as
///   `0 0 0 <cgroup>…`: its cgroup is known before anything is spawned into it.
/// - `disconnect`: the running units of stacks with `disconnect: {stop_after}`, one per line as
///   in `exclusive` after a first field: the nanoseconds after the deadline they are killed.
///
/// Both are replaced whole (``FileReplacing``), so a reader sees the old contents or the new.
package struct FenceFiles: Sendable {
    /// `<state>/fence`.
    package let directory: String

    /// The files of the agent whose state directory is `stateDirectory`.
    package init(stateDirectory: String) { directory = stateDirectory + "/fence" }

    /// CLOCK_MONOTONIC now, in nanoseconds: one clock for the agent and the watchdog.
    package static func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Records that the lease is alive until `nanoseconds` (monotonic), as `agent` saw it.
    package func writeDeadline(_ nanoseconds: UInt64, agent: Int32) {
        replace("deadline", "\(nanoseconds) \(agent)\n")
    }

    /// The recorded deadline and the agent that wrote it; nil before the first registration.
    package func readDeadline() -> (nanoseconds: UInt64, agent: Int32)? {
        let fields = read("deadline").split(separator: " ")
        guard fields.count == 2, let time = UInt64(fields[0]), let agent = Int32(fields[1].trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return (time, agent)
    }

    /// Records the exclusive units running now.
    package func writeExclusive(_ units: [FencedUnit]) {
        replace("exclusive", units.map {
            ([String($0.pid), String($0.startTime), String($0.processGroup)] + $0.cgroups).joined(separator: " ") + "\n"
        }.joined())
    }

    /// The exclusive units last recorded.
    package func readExclusive() -> [FencedUnit] {
        read("exclusive").split(separator: "\n").compactMap { Self.unit(line: $0.split(separator: " ").map(String.init)) }
    }

    /// Records the running units of stacks with a `disconnect` policy (each with its
    /// ``FencedUnit/grace``).
    package func writeDisconnect(_ units: [FencedUnit]) {
        replace("disconnect", units.map {
            ([String($0.grace), String($0.pid), String($0.startTime), String($0.processGroup)] + $0.cgroups).joined(separator: " ") + "\n"
        }.joined())
    }

    /// The units of stacks with a `disconnect` policy last recorded.
    package func readDisconnect() -> [FencedUnit] {
        read("disconnect").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard let grace = fields.first.flatMap({ UInt64($0) }), var unit = Self.unit(line: Array(fields.dropFirst())) else { return nil }
            unit.grace = grace
            return unit
        }
    }

    /// A unit from `<pid> <start time> <process group> [<cgroup>…]`.
    private static func unit(line fields: [String]) -> FencedUnit? {
        guard fields.count >= 3, let pid = Int32(fields[0]), let start = UInt64(fields[1]), let group = Int32(fields[2]) else { return nil }
        return FencedUnit(pid: pid, startTime: start, processGroup: group, cgroups: Array(fields.dropFirst(3)))
    }

    private func read(_ name: String) -> String {
        (FileManager.default.contents(atPath: directory + "/" + name)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    private func replace(_ name: String, _ text: String) {
        FileReplacing.replace(directory + "/" + name, with: Data(text.utf8))
    }
}

/// A unit the watchdog guards, as it sees it.
package struct FencedUnit: Sendable, Hashable {
    /// Its main process; 0 while it has none (only ``cgroups`` is known).
    package var pid: Int32
    /// The main process's start time (`/proc/<pid>/stat` field 22).
    package var startTime: UInt64
    /// The unit's process group.
    package var processGroup: Int32
    /// Its cgroup directories.
    package var cgroups: [String]
    /// Nanoseconds after the deadline it is killed: 0 for an exclusive unit, the stack's
    /// `disconnect.stop_after` for the others.
    package var grace: UInt64

    /// A unit.
    package init(pid: Int32, startTime: UInt64, processGroup: Int32, cgroups: [String], grace: UInt64 = 0) {
        self.pid = pid; self.startTime = startTime; self.processGroup = processGroup; self.cgroups = cgroups
        self.grace = grace
    }
}
