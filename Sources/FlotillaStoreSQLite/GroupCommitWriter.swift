import FlotillaStore
import GRDB
import Synchronization

/// The single writer with group commit. Requests queue up while a commit is in flight; the
/// writer task then takes every queued request and applies them in ONE SQLite transaction
/// (`BEGIN IMMEDIATE` … `COMMIT`, one fsync of the WAL with `synchronous = FULL`). Each
/// request is validated first and applied inside its own savepoint, gets its own revision when
/// it writes, and its own result: a failing request rolls back alone.
///
/// Ordering contract: requests are applied in arrival order; a request's caller resumes only
/// after the batch's COMMIT returned (the write is on disk) and after its events were handed
/// to ``onCommit`` in revision order.
final class GroupCommitWriter: Sendable {
    private struct Pending {
        var operation: WriteOperation
        var continuation: CheckedContinuation<WriteOutcome, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var closed = false
        var revision: Int64
        var compacted: Int64
    }

    /// Committed changes, one element per revision, in revision order.
    typealias CommitHandler = @Sendable (_ revisions: [(revision: Int64, events: [Event])]) -> Void

    private let pool: DatabasePool
    private let state: Mutex<State>
    private let wakeups: AsyncStream<Void>.Continuation
    private let loop: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let onCommit: CommitHandler

    /// Starts the writer at the stored revision and compaction revision.
    init(pool: DatabasePool, revision: Int64, compacted: Int64, onCommit: @escaping CommitHandler) {
        self.pool = pool
        self.state = Mutex(State(revision: revision, compacted: compacted))
        self.onCommit = onCommit
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.wakeups = continuation
        let task = Task { [self] in
            for await _ in stream {
                while let batch = takeBatch() { await run(batch) }
            }
        }
        loop.withLock { $0 = task }
    }

    /// The revision of the last commit.
    var revision: Int64 { state.withLock { $0.revision } }
    /// The compaction revision.
    var compacted: Int64 { state.withLock { $0.compacted } }

    /// Queues a request and waits for its durable result.
    func submit(_ operation: WriteOperation) async throws -> WriteOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = state.withLock { state -> Bool in
                if state.closed { return false }
                state.pending.append(Pending(operation: operation, continuation: continuation))
                return true
            }
            if accepted {
                wakeups.yield()
            } else {
                continuation.resume(throwing: StoreError.unavailable("etcdserver: store is closed"))
            }
        }
    }

    /// Stops accepting requests, finishes the queued ones, and waits for the writer task.
    func close() async {
        state.withLock { $0.closed = true }
        wakeups.finish()
        await loop.withLock { $0 }?.value
    }

    private func takeBatch() -> [Pending]? {
        state.withLock { state in
            if state.pending.isEmpty { return nil }
            defer { state.pending = [] }
            return state.pending
        }
    }

    private struct BatchResult: Sendable {
        var outcomes: [Result<WriteOutcome, any Error>]
        var committed: [(revision: Int64, events: [Event])]
        var revision: Int64
        var compacted: Int64
    }

    private func run(_ batch: [Pending]) async {
        let (base, compacted) = state.withLock { ($0.revision, $0.compacted) }
        let operations = batch.map(\.operation)
        do {
            let result = try await pool.writeWithoutTransaction { db in
                try Self.apply(operations, db: db, base: base, compacted: compacted)
            }
            state.withLock {
                $0.revision = result.revision
                $0.compacted = result.compacted
            }
            if !result.committed.isEmpty { onCommit(result.committed) }
            for (pending, outcome) in zip(batch, result.outcomes) { pending.continuation.resume(with: outcome) }
        } catch {
            for pending in batch { pending.continuation.resume(throwing: error) }
        }
    }

    private static func apply(_ operations: [WriteOperation], db: Database, base: Int64,
                              compacted: Int64) throws -> BatchResult {
        try db.execute(sql: "BEGIN IMMEDIATE")
        var result = BatchResult(outcomes: [], committed: [], revision: base, compacted: compacted)
        do {
            for operation in operations {
                let outcome: Result<WriteOutcome, any Error>
                do { outcome = .success(try applyOne(operation, db: db, into: &result)) } catch { outcome = .failure(error) }
                result.outcomes.append(outcome)
            }
            if result.revision != base { try StoreDatabase.setMeta(db, "revision", result.revision) }
            try db.execute(sql: "COMMIT")
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
            throw error
        }
        return result
    }

    private static func applyOne(_ operation: WriteOperation, db: Database, into result: inout BatchResult) throws -> WriteOutcome {
        try operation.validate()
        try db.cachedStatement(sql: "SAVEPOINT request").execute()
        var tx = WriteTransaction(db: db, base: result.revision, compacted: result.compacted)
        var compacted = result.compacted
        do {
            let outcome = try operation.apply(&tx, compacted: &compacted)
            try db.cachedStatement(sql: "RELEASE SAVEPOINT request").execute()
            result.compacted = compacted
            if tx.wrote {
                result.revision = tx.revision
                result.committed.append((tx.revision, tx.events))
            }
            return outcome
        } catch {
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT request").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT request").execute()
            throw error
        }
    }
}
