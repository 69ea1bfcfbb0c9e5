import Foundation

/// The fields of `/proc/<pid>/stat` the supervisor needs to recognise a process again.
package struct ProcStat: Sendable, Hashable {
    /// Field 3: `R`, `S`, `D`, `Z` (zombie), …
    package var state: Character
    /// Field 4.
    package var parent: Int32
    /// Field 5: process group.
    package var processGroup: Int32
    /// Field 22: start time in clock ticks since boot. A pid plus this names one process:
    /// a reused pid has a later start time.
    package var startTime: UInt64

    /// Parses the text of a stat file. The command name (field 2) may hold spaces and
    /// parentheses, so fields are counted from the last `)`.
    package init?(parsing text: String) {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3.
        guard fields.count >= 20, let state = fields[0].first, let parent = Int32(fields[1]),
              let group = Int32(fields[2]), let start = UInt64(fields[19]) else { return nil }
        self.state = state
        self.parent = parent
        self.processGroup = group
        self.startTime = start
    }

    /// The stat of a live (or zombie) process; nil when there is none with this pid.
    package static func read(_ pid: Int32) -> ProcStat? {
        guard pid > 0, let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        return ProcStat(parsing: String(decoding: data, as: UTF8.self))
    }

    /// True when `pid` still names the process that started at `startTime` and has not exited.
    package static func isAlive(_ pid: Int32, startTime: UInt64) -> Bool {
        guard let stat = read(pid) else { return false }
        return stat.startTime == startTime && stat.state != "Z" && stat.state != "X"
    }
}
