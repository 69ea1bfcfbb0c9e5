import FlotillaAgent
import Foundation
import Glibc

/// Reads journal files at `<directory>/<instance>+<unit>.log`, with rotated copies at
/// `….log.1` (newest) to `….log.<keep>`: the layout the agent's supervisor writes (``Journal``).
/// A unit without a journal file yet has no lines.
public struct JournalLogSource: LogSource {
    /// The journal directory (`<state>/journal`).
    public let directory: String
    /// Rotated copies to look into for ``lines(instance:unit:last:)``.
    public let keep: Int

    /// Journals under `directory`.
    public init(directory: String, keep: Int = 3) {
        self.directory = directory
        self.keep = keep
    }

    /// The live journal file of a unit.
    public func path(instance: String, unit: String) -> String { Journal(directory: directory).path(instance: instance, unit: unit) }

    /// The last `last` lines; a last line without its newline yet is included.
    public func lines(instance: String, unit: String, last: Int) async throws -> LogChunk {
        let live = path(instance: instance, unit: unit)
        let size = JournalFile.size(live)
        guard last > 0 else { return LogChunk(lines: [], nextOffset: size) }
        var lines = JournalFile.tail(live, count: last, end: size)
        var copy = 1
        while lines.count < last && copy <= keep {
            let rotated = "\(live).\(copy)"
            lines = JournalFile.tail(rotated, count: last - lines.count, end: JournalFile.size(rotated)) + lines
            copy += 1
        }
        return LogChunk(lines: lines, nextOffset: size)
    }

    /// Complete lines from `offset` on.
    public func read(instance: String, unit: String, from offset: Int64) async throws -> LogChunk {
        let live = path(instance: instance, unit: unit)
        let size = JournalFile.size(live)
        var start = max(0, offset)
        var lines: [String] = []
        if start > size {
            // Rotated: the copy holds what was written up to the truncation.
            let rest = JournalFile.bytes("\(live).1", from: start)
            lines += JournalFile.split(rest).lines
            start = 0
        }
        let fresh = JournalFile.bytes(live, from: start)
        let (complete, consumed) = JournalFile.split(fresh)
        return LogChunk(lines: lines + complete, nextOffset: start + consumed)
    }
}

/// Byte-level reading of journal files.
enum JournalFile {
    /// Size of a file, 0 when missing.
    static func size(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Bytes from `offset` to the end.
    static func bytes(_ path: String, from offset: Int64) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var position = offset
        while true {
            let got = pread(fd, &buffer, buffer.count, off_t(position))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            result += buffer[0..<got]
            position += Int64(got)
        }
        return result
    }

    /// Complete lines and the number of bytes they take (a trailing partial line is left).
    static func split(_ bytes: [UInt8]) -> (lines: [String], consumed: Int64) {
        guard let lastNewline = bytes.lastIndex(of: 10) else { return ([], 0) }
        let lines = bytes[..<lastNewline].split(separator: 10, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        return (lines, Int64(lastNewline + 1))
    }

    /// The last `count` lines of the first `end` bytes, read backwards in 64 KiB blocks; a
    /// last line without newline counts.
    static func tail(_ path: String, count: Int, end: Int64) -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, count > 0, end > 0 else {
            if fd >= 0 { close(fd) }
            return []
        }
        defer { close(fd) }
        var position = end
        var data: [UInt8] = []
        while position > 0 && data.count(where: { $0 == 10 }) <= count {
            let size = Int(min(position, 64 << 10))
            var block = [UInt8](repeating: 0, count: size)
            let got = pread(fd, &block, size, off_t(position - Int64(size)))
            guard got == size else { break }
            data = block + data
            position -= Int64(size)
        }
        var lines = data.split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        if position > 0, !lines.isEmpty { lines.removeFirst() } // the first line started before the block
        return Array(lines.suffix(count))
    }
}
