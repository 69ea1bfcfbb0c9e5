/// A store that can hand out a consistent copy of all its data, for backups and for etcd's
/// `Maintenance.Snapshot` (`etcdctl snapshot save`). Kept apart from ``KeyValueStore``
/// because not every store has one (the etcd client store, for one, does not).
public protocol SnapshotSource: Sendable {
    /// Takes a snapshot now: the bytes hold exactly the state at ``StoreSnapshot/revision``,
    /// whatever is written while they are streamed.
    func snapshot() async throws -> StoreSnapshot
}

/// A consistent copy of a store's data, streamed in chunks.
///
/// The chunks add up to exactly ``size`` bytes. Stop reading early to abandon the snapshot;
/// any temporary file behind it is already unlinked, so nothing is left on disk either way.
public struct StoreSnapshot: Sendable {
    /// What the bytes are, e.g. `"sqlite3"` for a SQLite database file that opens as the
    /// store's directory database.
    public var format: String
    /// The store revision the snapshot holds.
    public var revision: Int64
    /// Total number of bytes in ``chunks``.
    public var size: UInt64
    /// The bytes, in order.
    public var chunks: AsyncThrowingStream<[UInt8], any Error>

    /// Creates a snapshot description.
    public init(format: String, revision: Int64, size: UInt64, chunks: AsyncThrowingStream<[UInt8], any Error>) {
        self.format = format
        self.revision = revision
        self.size = size
        self.chunks = chunks
    }
}
