import FlotillaStore
import Foundation
import GRDB
import Synchronization

extension SQLiteStore: SnapshotSource {
    /// Bytes per snapshot chunk (etcd streams its snapshots in 32 KiB pieces).
    public static let snapshotChunkSize = 32 * 1024

    /// A consistent copy of the whole database as a SQLite file (format `"sqlite3"`).
    ///
    /// `VACUUM INTO` writes the copy from one read snapshot, so it holds exactly one revision
    /// whatever is written meanwhile (writers never wait for it); the copy is compact and in
    /// rollback-journal mode, so it opens on its own as `store.sqlite` in a new directory. The
    /// copy is written next to the database (same file system), opened, and unlinked before
    /// streaming starts: nothing is left behind, also when the reader gives up early.
    public func snapshot() async throws -> StoreSnapshot {
        try checkOpen()
        let directory = (pool.path as NSString).deletingLastPathComponent
        let path = (directory as NSString).appendingPathComponent("snapshot-\(UUID().uuidString).sqlite.partial")
        defer { unlink(path) }
        do {
            try await pool.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        } catch {
            throw StoreError(.internal, "flotilla: could not copy the store database for a snapshot into \(directory) (\(error)); check free disk space there")
        }
        let revision = try Self.revision(ofCopyAt: path)
        let file = try SnapshotFile(path: path)
        unlink(path)
        return StoreSnapshot(format: "sqlite3", revision: revision, size: file.size,
                             chunks: AsyncThrowingStream(unfolding: { try file.next(Self.snapshotChunkSize) }))
    }

    /// The revision recorded in a database copy.
    private static func revision(ofCopyAt path: String) throws -> Int64 {
        var configuration = Configuration()
        configuration.readonly = true
        let copy = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? copy.close() }
        return try copy.read { db in try StoreDatabase.meta(db, "revision") }
    }
}

/// An open (possibly already unlinked) file read front to back in chunks; closed when the
/// last reference goes.
final class SnapshotFile: Sendable {
    /// The file's size when opened.
    let size: UInt64
    private let descriptor: Int32
    private let path: String
    private let offset = Mutex<UInt64>(0)

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StoreError(.internal, "flotilla: could not open the snapshot copy \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw StoreError(.internal, "flotilla: could not stat the snapshot copy \(path): \(reason)")
        }
        self.descriptor = descriptor
        self.path = path
        self.size = UInt64(info.st_size)
    }

    deinit { close(descriptor) }

    /// The next chunk of at most `limit` bytes, or nil at the end.
    func next(_ limit: Int) throws -> [UInt8]? {
        try offset.withLock { offset -> [UInt8]? in
            let wanted = Int(min(UInt64(limit), size - offset))
            if wanted == 0 { return nil }
            var chunk = [UInt8](repeating: 0, count: wanted)
            var filled = 0
            while filled < wanted {
                let n = chunk.withUnsafeMutableBytes { buffer in
                    pread(descriptor, buffer.baseAddress! + filled, wanted - filled, off_t(offset) + off_t(filled))
                }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let reason = n == 0 ? "file ended early" : String(cString: strerror(errno))
                    throw StoreError(.internal, "flotilla: could not read the snapshot copy \(path) at byte \(offset + UInt64(filled)): \(reason)")
                }
                filled += n
            }
            offset += UInt64(wanted)
            return chunk
        }
    }
}
