import Glibc
import Synchronization

/// Reads one unit's journal for `logs [-f]`: the last lines across the rotated files, and a
/// follow stream that polls the file size (no inotify, no task per reader: the stream reads
/// when its consumer asks for the next line).
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

    /// The last `count` lines of one file, read backwards in 64 KiB blocks.
    static func tail(_ file: String, _ count: Int) -> [String] {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, count > 0 else { return [] }
        defer { close(fd) }
        var end = Int64(lseek(fd, 0, SEEK_END))
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
    /// read first, then the live file from its start. Ends when the consuming task is cancelled.
    package func follow(fromEnd: Bool = true, pollInterval: Duration = .milliseconds(250)) -> AsyncStream<String> {
        let cursor = FollowCursor(path: path, offset: fromEnd ? Self.size(path) : 0)
        return AsyncStream(unfolding: {
            while !Task.isCancelled {
                if let line = cursor.next() { return line }
                try? await Task.sleep(for: pollInterval)
            }
            return nil
        })
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
            append(Self.bytes("\(path).1", from: state.offset), &state) // rotated: finish the copy
            state.offset = 0
        }
        let fresh = Self.bytes(path, from: state.offset)
        state.offset += Int64(fresh.count)
        append(fresh, &state)
    }

    private func append(_ bytes: [UInt8], _ state: inout State) {
        guard !bytes.isEmpty else { return }
        var pieces = (state.partial + bytes).split(separator: 10, omittingEmptySubsequences: false)
        state.partial = Array(pieces.removeLast())
        state.lines += pieces.map { String(decoding: $0, as: UTF8.self) }
    }

    private static func bytes(_ file: String, from offset: Int64) -> [UInt8] {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var position = offset
        while true {
            let got = pread(fd, &buffer, buffer.count, off_t(position))
            guard got > 0 else { break }
            result += buffer[0..<got]
            position += Int64(got)
        }
        return result
    }
}
