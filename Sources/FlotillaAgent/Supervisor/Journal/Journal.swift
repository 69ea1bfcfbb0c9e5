import Foundation
import Glibc

/// The per-unit journals, `<state>/journal/<instance>+<unit>.log` (`+` appears in no instance
/// or unit name). One flat directory: a unit costs the filesystem one file, not a directory
/// per instance as well.
///
/// A unit's processes write their stdout and stderr straight into the file (opened with
/// `O_APPEND` by the driver); the agent never reads their pipes. The agent adds its own lines
/// (`[flotilla] …`) and rotates: when a file is larger than ``Settings/maxBytes`` it is
/// copied to `.1` (older copies shift to `.2` … `.keep`) and truncated in place, so writers
/// keep their descriptor. Output written between the copy and the truncation is lost (the
/// price of copy-then-truncate; the window is one file copy).
package struct Journal: Sendable {
    /// Size and count limits.
    package struct Settings: Sendable, Hashable {
        /// Rotate a journal file when it grows past this many bytes.
        package var maxBytes: Int64
        /// Rotated files kept (`.1` … `.keep`).
        package var keep: Int

        /// Settings; default 8 MiB × 3.
        package init(maxBytes: Int64 = 8 << 20, keep: Int = 3) {
            self.maxBytes = maxBytes; self.keep = keep
        }
    }

    /// `<state>/journal`.
    package let directory: String
    /// Limits.
    package let settings: Settings

    /// Journals under `directory`.
    package init(directory: String, settings: Settings = Settings()) {
        self.directory = directory
        self.settings = settings
    }

    /// The live file of one unit.
    package func path(instance: String, unit: String) -> String { "\(directory)/\(instance)+\(unit).log" }

    /// A reader for one unit's journal.
    package func reader(instance: String, unit: String) -> JournalReader {
        JournalReader(path: path(instance: instance, unit: unit), keep: settings.keep)
    }

    /// Makes the journal directory and tidies what an earlier agent left in it: the files of
    /// instances not in `live` are removed, and journals in the older layout
    /// (`<instance>/<unit>.log`) are moved to the flat one (or removed, for instances gone).
    func prepare(live: Set<String>) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let manager = FileManager.default
        for entry in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] {
            let full = "\(directory)/\(entry)"
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: full, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                if live.contains(entry) {
                    for file in (try? manager.contentsOfDirectory(atPath: full)) ?? [] { _ = rename("\(full)/\(file)", "\(directory)/\(entry)+\(file)") }
                }
                try? manager.removeItem(atPath: full)
            } else if let plus = entry.firstIndex(of: "+"), !live.contains(String(entry[..<plus])) {
                _ = unlink(full)
            }
        }
    }

    /// Appends one agent line, `[flotilla <ISO 8601 time>] text`.
    func note(_ text: String, instance: String, unit: String, at time: Date = Date()) {
        let line = "[flotilla \(time.formatted(.iso8601))] \(text)\n"
        let fd = open(path(instance: instance, unit: unit), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(line.utf8)
        _ = Glibc.write(fd, bytes, bytes.count)
    }

    /// Removes the journal files (live and rotated) of an instance's units.
    func remove(instance: String, units: [String]) {
        for unit in units {
            let live = path(instance: instance, unit: unit)
            _ = unlink(live)
            for index in 0..<settings.keep { _ = unlink("\(live).\(index + 1)") }
        }
    }

    /// Rotates `path` when it is over the size limit; true when it did.
    @discardableResult
    static func rotateIfNeeded(_ path: String, settings: Settings) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, Int64(info.st_size) > settings.maxBytes else { return false }
        if settings.keep > 0 {
            for index in stride(from: settings.keep - 1, through: 1, by: -1) {
                _ = rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            guard copy(path, to: "\(path).1") else { return false }
        }
        return truncate(path, 0) == 0
    }

    /// Copies a file in 64 KiB pieces.
    private static func copy(_ source: String, to target: String) -> Bool {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard output >= 0 else { return false }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = read(input, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return count == 0 }
            guard Glibc.write(output, buffer, count) == count else { return false }
        }
    }
}
