import FlotillaStore
import Foundation
import GRDB
import Synchronization

/// Flotilla's embedded store: etcd v3 semantics over SQLite (GRDB, WAL, `synchronous = FULL`).
///
/// - Storage: an append-only revision log (`kv`), `meta` and `lease` tables in
///   `DIR/store.sqlite`; see ``StoreDatabase``.
/// - Writes go through one writer with group commit (``GroupCommitWriter``): concurrent
///   requests share one SQLite transaction and one fsync, each keeps its own revision and
///   result. A write returns only after its commit is on disk.
/// - Reads run on reader connections (WAL snapshots) and never wait for a commit's fsync.
/// - Watches are fed in memory by the writer after each commit (``WatchHub``), with history
///   replay from SQLite.
/// - Leases keep wall-clock deadlines in the database and expire on time across restarts.
///
/// Call ``close()`` before dropping the store; reopening the directory restores revision,
/// data, compaction state and leases.
public final class SQLiteStore: KeyValueStore {
    /// The etcd API version this store implements (reported by ``status()``).
    public static let apiVersion = "3.4.23"

    let pool: DatabasePool
    let writer: GroupCommitWriter
    let hub: WatchHub
    let deadlines: LeaseDeadlines
    private let tasks: Mutex<[Task<Void, Never>]> = Mutex([])
    private let closed = Mutex(false)

    /// Opens (creating when needed) the store in `directory` (`directory/store.sqlite`),
    /// finishes an interrupted compaction and starts lease expiry (leases already past their
    /// deadline are revoked right away).
    public init(directory: String) throws {
        pool = try StoreDatabase.open(directory: directory)
        let (revision, compacted, compactDone, leases) = try pool.read { db in
            (try StoreDatabase.meta(db, "revision"), try StoreDatabase.meta(db, "compact_revision"),
             try StoreDatabase.meta(db, "compact_done"), try LeaseTable.all(db))
        }
        let hub = WatchHub(revision: revision)
        self.hub = hub
        deadlines = LeaseDeadlines(leases)
        writer = GroupCommitWriter(pool: pool, revision: revision, compacted: compacted) { hub.publish($0) }
        track(Task { [self] in await runLeaseExpiry() })
        if compactDone < compacted { track(Task { [self] in await compactPhysically(compacted) }) }
    }

    /// Stops lease expiry and compaction, finishes queued writes, ends every watch, and closes
    /// the database. Later calls fail with `unavailable`.
    public func close() async {
        if closed.withLock({ old in defer { old = true }; return old }) { return }
        let running = tasks.withLock { tasks in defer { tasks = [] }; return tasks }
        for task in running { task.cancel() }
        for task in running { await task.value }
        await writer.close()
        hub.close(StoreError.unavailable("etcdserver: store is closed"))
        try? pool.close()
    }

    /// Registered watches (for tests and metrics).
    public var activeWatchCount: Int { hub.count }

    func track(_ task: Task<Void, Never>) { tasks.withLock { $0.append(task) } }

    func checkOpen() throws {
        if closed.withLock({ $0 }) { throw StoreError.unavailable("etcdserver: store is closed") }
    }

    /// Runs a read in a snapshot, with that snapshot's current and compaction revisions.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database, _ current: Int64, _ compacted: Int64) throws -> T) async throws -> T {
        try checkOpen()
        return try await pool.read { db in
            try body(db, try StoreDatabase.meta(db, "revision"), try StoreDatabase.meta(db, "compact_revision"))
        }
    }

    /// Reads keys at the current or a past revision, on a reader connection (never waits for a commit).
    public func range(_ request: RangeRequest) async throws -> RangeResponse {
        try RequestValidation.validate(request)
        return try await read { db, current, compacted in
            try RangeReading.range(db, request, current: current, compacted: compacted, header: current)
        }
    }

    /// Writes one key through the group-commit writer; returns once the commit is on disk.
    public func put(_ request: PutRequest) async throws -> PutResponse {
        guard case .put(let response) = try await submit(.put(request)) else { throw unexpected() }
        return response
    }

    /// Deletes a key or a range in one revision; returns once the commit is on disk.
    public func deleteRange(_ request: DeleteRangeRequest) async throws -> DeleteRangeResponse {
        guard case .deleteRange(let response) = try await submit(.deleteRange(request)) else { throw unexpected() }
        return response
    }

    /// Compares, then runs one branch atomically in one revision (none when it only reads).
    public func txn(_ request: TxnRequest) async throws -> TxnResponse {
        guard case .txn(let response) = try await submit(.txn(request)) else { throw unexpected() }
        return response
    }

    /// Records the compaction revision, then removes superseded history in chunks; `physical` waits for the removal.
    public func compact(_ request: CompactionRequest) async throws -> ResponseHeader {
        guard case .header(let header) = try await submit(.compact(revision: request.revision)) else { throw unexpected() }
        let pass = Task { [self] in await compactPhysically(request.revision) }
        track(pass)
        if request.physical { await pass.value }
        return header
    }

    /// Removes superseded history ≤ `revision` chunk by chunk through the writer (other writes
    /// interleave), then checkpoints the WAL.
    func compactPhysically(_ revision: Int64) async {
        var cursor: Bytes? = nil
        repeat {
            if Task.isCancelled { return }
            guard case .compactChunk(let next)? = try? await writer.submit(.compactChunk(revision: revision, after: cursor)) else { return }
            cursor = next
        } while cursor != nil
        _ = try? await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
    }

    /// Revision, compaction revision, etcd API version and database size (`page_count × page_size`).
    public func status() async throws -> StoreStatus {
        try await read { db, current, compacted in
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            return StoreStatus(header: ResponseHeader(revision: current), version: Self.apiVersion,
                               dbSize: pages * pageSize, dbSizeInUse: (pages - free) * pageSize,
                               compactRevision: compacted)
        }
    }

    func submit(_ operation: WriteOperation) async throws -> WriteOutcome {
        try checkOpen()
        return try await writer.submit(operation)
    }

    func unexpected() -> StoreError { StoreError(.internal, "flotilla: store writer answered with the wrong kind of result") }
}
