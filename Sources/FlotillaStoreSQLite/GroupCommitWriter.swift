import FlotillaStore
import GRDB
import Synchronization

/// The single writer with leader/follower group commit, and no task of its own.
///
/// A request that arrives while no commit is in flight becomes the leader: it takes every
/// queued request (its own first) and applies them in ONE SQLite transaction (`BEGIN
/// IMMEDIATE` … `COMMIT`, one fsync of the WAL with `synchronous = FULL`). Requests that arrive
/// meanwhile queue up as followers; when the leader's batch is committed it resumes them with
/// their results and hands leadership to the oldest queued request, which commits the next
/// batch the same way. Each request is validated first and applied inside its own savepoint,
/// gets its own revision when it writes, and its own result: a failing request rolls back alone.
///
/// The database work runs on GRDB's writer queue through a callback (not a cancellable async
/// access), so cancelling the leader's task never aborts the batch it commits for others.
///
/// Ordering contract: requests are applied in arrival order; a request's caller resumes only
/// after the batch's COMMIT returned (the write is on disk) and after its events were handed
/// to ``onCommit`` in revision order.
final class GroupCommitWriter: Sendable {
    /// What a queued request is told when it is resumed.
    private enum Turn: Sendable {
        /// Its batch is committed: here is its result.
        case done(WriteOutcome)
        /// It now leads: commit the queue.
        case lead
    }

    private struct Pending {
        var id: UInt64
        var operation: WriteOperation
        /// nil for the leader's own request (the leader reads its result from the batch).
        var waiter: CheckedContinuation<Turn, any Error>?
    }

    private struct State {
        var pending: [Pending] = []
        var committing = false
        var closed = false
        var nextID: UInt64 = 0
        var revision: Int64
        var compacted: Int64
        /// ``close()`` calls waiting for the last batch.
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    /// Committed changes, one element per revision, in revision order.
    typealias CommitHandler = @Sendable (_ revisions: [(revision: Int64, events: [Event])]) -> Void

    private let pool: DatabasePool
    private let state: Mutex<State>
    private let onCommit: CommitHandler

    /// A writer at the stored revision and compaction revision.
    init(pool: DatabasePool, revision: Int64, compacted: Int64, onCommit: @escaping CommitHandler) {
        self.pool = pool
        self.state = Mutex(State(revision: revision, compacted: compacted))
        self.onCommit = onCommit
    }

    /// The revision of the last commit.
    var revision: Int64 { state.withLock { $0.revision } }
    /// The compaction revision.
    var compacted: Int64 { state.withLock { $0.compacted } }

    /// Applies a request (leading a batch or joining the one being gathered) and returns its
    /// durable result.
    func submit(_ operation: WriteOperation) async throws -> WriteOutcome {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let turn = try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Turn, any Error>) in
            enum Admission { case rejected, queued, leading }
            let admission = state.withLock { state -> Admission in
                if state.closed { return .rejected }
                if state.committing {
                    state.pending.append(Pending(id: id, operation: operation, waiter: waiter))
                    return .queued
                }
                state.committing = true
                state.pending.append(Pending(id: id, operation: operation, waiter: nil))
                return .leading
            }
            switch admission {
            case .rejected: waiter.resume(throwing: StoreError.unavailable("etcdserver: store is closed"))
            case .queued: break
            case .leading: waiter.resume(returning: .lead)
            }
        }
        switch turn {
        case .done(let outcome): return outcome
        case .lead: return try await lead(id).get()
        }
    }

    /// Stops accepting requests and returns once the queued ones are committed.
    func close() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                state.closed = true
                if !state.committing { return true }
                state.drained.append(waiter)
                return false
            }
            if idle { waiter.resume() }
        }
    }

    /// Commits the queue as one batch (request `id`, the leader's, is in it), resumes the
    /// followers, hands leadership on, and returns the leader's own result.
    private func lead(_ id: UInt64) async -> Result<WriteOutcome, any Error> {
        let batch = state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
        let (base, compacted) = state.withLock { ($0.revision, $0.compacted) }
        let operations = batch.map(\.operation)
        let result: Result<BatchResult, any Error> = await withCheckedContinuation { done in
            pool.asyncWriteWithoutTransaction { db in
                done.resume(returning: Result { try Self.apply(operations, db: db, base: base, compacted: compacted) })
            }
        }
        var own: Result<WriteOutcome, any Error> = .failure(StoreError(.internal, "flotilla: the leader's request was not in its batch"))
        switch result {
        case .success(let committed):
            state.withLock {
                $0.revision = committed.revision
                $0.compacted = committed.compacted
            }
            if !committed.committed.isEmpty { onCommit(committed.committed) }
            for (pending, outcome) in zip(batch, committed.outcomes) {
                if pending.id == id { own = outcome } else { pending.waiter?.resume(with: outcome.map(Turn.done)) }
            }
        case .failure(let error):
            for pending in batch where pending.id != id { pending.waiter?.resume(throwing: error) }
            own = .failure(error)
        }
        handOff()
        return own
    }

    /// Makes the oldest queued request the next leader, or ends the commit when none is queued.
    private func handOff() {
        enum Next { case leader(CheckedContinuation<Turn, any Error>), idle([CheckedContinuation<Void, Never>]) }
        let next = state.withLock { state -> Next in
            if let waiter = state.pending.first?.waiter {
                state.pending[0].waiter = nil
                return .leader(waiter)
            }
            state.committing = false
            defer { state.drained = [] }
            return .idle(state.drained)
        }
        switch next {
        case .leader(let waiter): waiter.resume(returning: .lead)
        case .idle(let waiters): for waiter in waiters { waiter.resume() }
        }
    }

    private struct BatchResult: Sendable {
        var outcomes: [Result<WriteOutcome, any Error>]
        var committed: [(revision: Int64, events: [Event])]
        var revision: Int64
        var compacted: Int64
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
