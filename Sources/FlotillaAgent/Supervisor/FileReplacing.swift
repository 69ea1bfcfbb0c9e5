import Foundation
import Glibc

/// Small-file writing for agent state, without `Data.write` (which fsyncs every file: agent
/// state only matters while the machine stays up, and the page cache keeps it across agent
/// restarts).
enum FileReplacing {
    /// Writes all of `data` to `fd`; false on an error.
    static func write(_ data: Data, to fd: Int32) -> Bool {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }

    /// Replaces `path` with `data`: a temporary file renamed over it, so a reader (or an agent
    /// killed mid-write) sees the old contents or the new, never a mix. Creates the directory
    /// when missing; false when the file could not be written.
    @discardableResult
    static func replace(_ path: String, with data: Data) -> Bool {
        let temporary = path + ".tmp"
        var fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else { return false }
        let written = write(data, to: fd)
        close(fd)
        return written && rename(temporary, path) == 0
    }
}
