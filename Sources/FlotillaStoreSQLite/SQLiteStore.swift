import FlotillaStore
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization

/// Flotilla's embedded store: etcd v3 semantics over SQLite (GRDB, WAL, `synchronous = FULL`).
///
/// - Storage: an append-only revision log (`kv`), `meta` and `lease` tables in
///   `DIR/store.sqlite`; see ``StoreDatabase``.
/// - Writes go through one writer with leader/follower group commit (``GroupCommitWriter``):
///   concurrent requests share one SQLite transaction and one fsync, each keeps its own
///   revision and result. A write returns only after its commit is on disk.
/// - Reads run on reader connections (WAL snapshots) and never wait for a commit's fsync.
/// - Watches are fed in memory by the writer after each commit (``WatchHub``), with history
///   replay from SQLite.
/// - Leases keep wall-clock deadlines in the database and expire on time across restarts.
/// - Housekeeping: automatic compaction (``AutoCompaction``, on by default), the removal of
///   compacted rows, and space reuse (`auto_vacuum = INCREMENTAL`: free pages are reused by
///   new rows and, when a compaction freed more than an eighth of the file, handed back to the
///   file system; the WAL is checkpointed and capped at ``StoreDatabase/walSizeLimit``).
///
/// Lifecycle: the store is a swift-service-lifecycle `Service`. Reads and writes work as soon
/// as `init` returns; lease expiry, automatic compaction and the removal of rows after a
/// non-physical Compact run only inside ``run()``. ``run()`` returns on task cancellation,
/// graceful shutdown or ``close()``, and closes the store on its way out. Without ``run()``,
/// call ``close()`` before dropping the store; reopening the directory restores revision,
/// data, compaction state and leases.
public final class SQLiteStore: KeyValueStore, Service {
    /// The etcd API version this store implements (reported by ``status()``).
    public static let apiVersion = "3.4.23"

    /// Settings of an embedded store beyond its directory.
    public struct Options: Sendable {
        /// When history is compacted automatically; ``AutoCompaction/default`` unless set.
        public var autoCompaction: AutoCompaction
        /// The clock of the periodic compactor (a manual clock in tests). Lease deadlines are
        /// wall-clock times and do not use it.
        public var clock: any Clock<Duration>
        /// Where housekeeping reports compactions and failures.
        public var logger: Logger

        /// Options with the given values; the defaults are etcd-like automatic compaction
        /// (``AutoCompaction/default``), the continuous clock, and a `flotilla.store` logger.
        public init(autoCompaction: AutoCompaction = .default, clock: any Clock<Duration> = ContinuousClock(),
                    logger: Logger = Logger(label: "flotilla.store")) {
            self.autoCompaction = autoCompaction
            self.clock = clock
            self.logger = logger
        }
    }

    /// Open, running (inside ``run()``) or closed.
    struct Lifecycle {
        var closed = false
        var running = false
        /// ``close()`` calls waiting for ``run()``'s housekeeping to stop.
        var stopped: [CheckedContinuation<Void, Never>] = []
    }

    let pool: DatabasePool
    let writer: GroupCommitWriter
    let hub: WatchHub
    let deadlines: LeaseDeadlines
    let options: Options
    let lifecycle = Mutex(Lifecycle())
    /// Compaction revisions whose rows are still to be removed (the newest covers the older).
    let compactions: AsyncStream<Int64>.Continuation
    let compactionRequests: AsyncStream<Int64>
    /// The newest committed revision, for the revision-mode compactor.
    let commits: AsyncStream<Int64>.Continuation
    let committedRevisions: AsyncStream<Int64>
    /// Finished by ``close()``: ends ``run()``.
    let closing: AsyncStream<Void>.Continuation
    let closingSignal: AsyncStream<Void>

    /// Opens (creating when needed) the store in `directory` (`directory/store.sqlite`).
    /// A database created without incremental vacuum is converted once (a full `VACUUM`).
    /// Leases already past their deadline and an interrupted compaction are dealt with as soon
    /// as ``run()`` starts. Throws ``AutoCompactionError`` for a bad policy in `options`.
    public init(directory: String, options: Options = Options()) throws {
        try options.autoCompaction.validate()
        self.options = options
        pool = try StoreDatabase.open(directory: directory)
        let (revision, compacted, compactDone, leases) = try pool.read { db in
            (try StoreDatabase.meta(db, "revision"), try StoreDatabase.meta(db, "compact_revision"),
             try StoreDatabase.meta(db, "compact_done"), try LeaseTable.all(db))
        }
        let hub = WatchHub(revision: revision)
        self.hub = hub
        deadlines = LeaseDeadlines(leases)
        (compactionRequests, compactions) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        (committedRevisions, commits) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        (closingSignal, closing) = AsyncStream.makeStream(of: Void.self)
        let commits = self.commits
        writer = GroupCommitWriter(pool: pool, revision: revision, compacted: compacted) { revisions in
            hub.publish(revisions)
            if let last = revisions.last { commits.yield(last.revision) }
        }
        if compactDone < compacted { compactions.yield(compacted) }
    }

    /// Stops housekeeping (waiting for ``run()`` to wind down), finishes queued writes, ends
    /// every watch, and closes the database. Later calls return at once; requests then fail
    /// with `unavailable`.
    public func close() async {
        let first = lifecycle.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        closing.finish()
        await withCheckedContinuation { (stopped: CheckedContinuation<Void, Never>) in
            let running = lifecycle.withLock { state -> Bool in
                if state.running { state.stopped.append(stopped) }
                return state.running
            }
            if !running { stopped.resume() }
        }
        compactions.finish()
        commits.finish()
        await writer.close()
        hub.close(StoreError.unavailable("etcdserver: store is closed"))
        try? pool.close()
    }

    /// Registered watches (for tests and metrics).
    public var activeWatchCount: Int { hub.count }

    func checkOpen() throws {
        if lifecycle.withLock({ $0.closed }) { throw StoreError.unavailable("etcdserver: store is closed") }
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

    /// Records the compaction revision, then removes superseded history in chunks: `physical`
    /// removes them before returning; otherwise ``run()`` removes them in the background (as
    /// etcd's non-physical Compact returns before its backend is cleaned).
    public func compact(_ request: CompactionRequest) async throws -> ResponseHeader {
        guard case .header(let header) = try await submit(.compact(revision: request.revision)) else { throw unexpected() }
        if request.physical { await compactPhysically(request.revision) } else { compactions.yield(request.revision) }
        return header
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
