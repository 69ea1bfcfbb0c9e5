import Glibc
import Synchronization

/// Reads one unit's journal for `logs [-f]`, the one journal tail reader (the agent's API
/// serves logs through it): the last lines across the rotated files, the complete lines
/// from a byte offset, and a follow stream. Followers wait on a ``JournalChange`` (inotify)
/// rather than polling the file size; no task per reader: the stream reads when its
/// consumer asks for the next line.
package struct JournalReader: Sendable {
    /// The live file (`….log`); rotated copies are `….log.1` (newest) to `….log.<keep>`.
    package let path: String
    /// How many rotated copies may exist.
    package let keep: Int

    /// A reader.
    package init(path: String, keep: Int) {
        self.path = path
        self.keep = keep
    }

    /// The last `count` lines, oldest first, reaching into rotated files when the live one
    /// has fewer.
    package func lastLines(_ count: Int) -> [String] {
        guard count > 0 else { return [] }
        var lines: [String] = []
        for file in [path] + (0..<keep).map({ "\(path).\($0 + 1)" }) {
            lines = Self.tail(file, count - lines.count) + lines
            if lines.count >= count { break }
        }
        return lines
    }

    /// The last `count` lines (a last line without its newline yet included) and the offset
    /// where output written afterwards starts: what a follower passes to ``lines(from:)``.
    package func tail(_ count: Int) -> (lines: [String], nextOffset: Int64) {
        let size = Self.size(path)
        guard count > 0 else { return ([], size) }
        var lines = Self.tail(path, count, end: size)
        var copy = 1
        while lines.count < count && copy <= keep {
            lines = Self.tail("\(path).\(copy)", count - lines.count) + lines
            copy += 1
        }
        return (lines, size)
    }

    /// The complete lines written at or after byte `offset` of the live file, and the offset
    /// after the last of them (a line whose newline is not written yet waits for the next
    /// call). When the file shrank below `offset` (rotation truncated it), the rest of the
    /// newest rotated copy comes first, then the live file from its start.
    package func lines(from offset: Int64) -> (lines: [String], nextOffset: Int64) {
        var start = max(0, offset)
        var lines: [String] = []
        if start > Self.size(path) {
            lines += Self.completeLines(Self.bytes("\(path).1", from: start)).lines
            start = 0
        }
        let (complete, consumed) = Self.completeLines(Self.bytes(path, from: start))
        return (lines + complete, start + consumed)
    }

    /// Complete lines and the number of bytes they take (a trailing partial line is left).
    static func completeLines(_ bytes: [UInt8]) -> (lines: [String], consumed: Int64) {
        guard let lastNewline = bytes.lastIndex(of: 10) else { return ([], 0) }
        let lines = bytes[..<lastNewline].split(separator: 10, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        return (lines, Int64(lastNewline + 1))
    }

    /// The last `count` lines of one file (of its first `end` bytes, when given), read
    /// backwards in 64 KiB blocks.
    static func tail(_ file: String, _ count: Int, end limit: Int64? = nil) -> [String] {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        guard count > 0 else { return [] }
        var end = min(Int64(lseek(fd, 0, SEEK_END)), limit ?? .max)
        var data: [UInt8] = []
        while end > 0 && data.count(where: { $0 == 10 }) <= count {
            let size = Int(min(end, 64 << 10))
            var block = [UInt8](repeating: 0, count: size)
            let got = pread(fd, &block, size, off_t(end - Int64(size)))
            guard got == size else { break }
            data = block + data
            end -= Int64(size)
        }
        var lines = data.split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        if end > 0, !lines.isEmpty { lines.removeFirst() } // partial first line
        return Array(lines.suffix(count))
    }

    /// New lines as they are written. Starts at the end of the file (`fromEnd`) or at its
    /// start. When the file shrank (rotation truncated it), the rest of the newest copy is
    /// read first, then the live file from its start. Between lines it sleeps until the file
    /// changes (inotify), re-checking at least every `recheck` (and only on that timer where
    /// inotify is unavailable). Ends when the consuming task is cancelled.
    package func follow(fromEnd: Bool = true, recheck: Duration = .seconds(5)) -> AsyncStream<String> {
        let change = JournalChange(path: path)
        let cursor = FollowCursor(path: path, offset: fromEnd ? Self.size(path) : 0)
        return AsyncStream(unfolding: {
            while !Task.isCancelled {
                if let line = cursor.next() { return line }
                if let change { await change.wait(upTo: recheck) } else { try? await Task.sleep(for: recheck) }
            }
            return nil
        })
    }

    /// The complete lines written at or after `offset`; when there are none yet, waits for the
    /// file to change (a ``JournalChange`` armed before the first read, so nothing is missed)
    /// for at most `limit`, then answers with what is there (possibly nothing).
    package func lines(from offset: Int64, waitingUpTo limit: Duration) async -> (lines: [String], nextOffset: Int64) {
        let change = JournalChange(path: path)
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while true {
            let chunk = lines(from: offset)
            let remaining = deadline - clock.now
            if !chunk.lines.isEmpty || remaining <= .zero || Task.isCancelled { return chunk }
            if let change { await change.wait(upTo: remaining) } else { try? await Task.sleep(for: min(remaining, .seconds(1))) }
        }
    }

    static func size(_ file: String) -> Int64 {
        var info = stat()
        return stat(file, &info) == 0 ? Int64(info.st_size) : 0
    }
}

/// Where a follow stream is: offset in the live file, complete lines not yet handed out,
/// and the start of a line whose end has not been written yet.
private final class FollowCursor: Sendable {
    private struct State {
        var offset: Int64
        var lines: [String] = []
        var partial: [UInt8] = []
    }

    private let path: String
    private let state: Mutex<State>

    init(path: String, offset: Int64) {
        self.path = path
        self.state = Mutex(State(offset: offset))
    }

    /// The next complete line, reading what was appended since the last call; nil when none.
    func next() -> String? {
        state.withLock { state in
            if state.lines.isEmpty { read(&state) }
            return state.lines.isEmpty ? nil : state.lines.removeFirst()
        }
    }

    private func read(_ state: inout State) {
        let size = JournalReader.size(path)
        if size < state.offset {
            append(JournalReader.bytes("\(path).1", from: state.offset), &state) // rotated: finish the copy
            state.offset = 0
        }
        let fresh = JournalReader.bytes(path, from: state.offset)
        state.offset += Int64(fresh.count)
        append(fresh, &state)
    }

    private func append(_ bytes: [UInt8], _ state: inout State) {
        guard !bytes.isEmpty else { return }
        var pieces = (state.partial + bytes).split(separator: 10, omittingEmptySubsequences: false)
        state.partial = Array(pieces.removeLast())
        state.lines += pieces.map { String(decoding: $0, as: UTF8.self) }
    }
}

extension JournalReader {
    /// Bytes of `file` from `offset` to its end (none when it is missing).
    static func bytes(_ file: String, from offset: Int64) -> [UInt8] {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
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
}
