import Crypto
import FlotillaStore
import Foundation
import GRPCCore

/// etcd's `Maintenance.Snapshot` stream over a ``SnapshotSource``, as etcd 3.4 sends it: the
/// data in chunks, each with `remaining_bytes` = bytes still to come, then one last message
/// whose blob is the SHA-256 of all the data (32 bytes, `remaining_bytes` 0). A client that
/// concatenates the blobs (`etcdctl snapshot save`) gets the data with its checksum appended.
///
/// The data is whatever the store hands out: for the embedded SQLite store a SQLite database
/// file, not etcd's bbolt file. `etcdctl snapshot save FILE` (3.4) accepts it and reports
/// "Snapshot saved", but `etcdctl snapshot status/restore` answer "invalid database". To
/// restore, strip the checksum into a new data directory and serve that:
/// `head -c -32 FILE > DIR/store.sqlite && flotilla store serve --data-dir DIR`.
enum SnapshotStreaming {
    /// Streams `snapshot` to `writer`; every header carries the snapshot's revision.
    static func send(_ snapshot: StoreSnapshot, stamp: HeaderStamp,
                     to writer: RPCWriter<Etcdserverpb_SnapshotResponse>) async throws {
        var hash = SHA256()
        var sent: UInt64 = 0
        for try await chunk in snapshot.chunks {
            sent += UInt64(chunk.count)
            guard sent <= snapshot.size else { throw sizeMismatch(snapshot, sent: sent) }
            hash.update(data: chunk)
            var response = Etcdserverpb_SnapshotResponse()
            response.header = stamp.header(snapshot.revision)
            response.remainingBytes = snapshot.size - sent
            response.blob = Data(chunk)
            try await writer.write(response)
        }
        guard sent == snapshot.size else { throw sizeMismatch(snapshot, sent: sent) }
        var trailer = Etcdserverpb_SnapshotResponse()
        trailer.header = stamp.header(snapshot.revision)
        trailer.remainingBytes = 0
        trailer.blob = Data(hash.finalize())
        try await writer.write(trailer)
    }

    private static func sizeMismatch(_ snapshot: StoreSnapshot, sent: UInt64) -> RPCError {
        RPCError(code: .internalError, message: "flotilla: the store's snapshot announced \(snapshot.size) bytes but produced a different amount (\(sent) bytes when noticed); take the snapshot again")
    }
}
