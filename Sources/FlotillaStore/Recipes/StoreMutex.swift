/// A mutex held in the store, with etcd's clientv3/concurrency `Mutex` algorithm and keys, so
/// `etcdctl lock NAME` and this type exclude each other. (Named `StoreMutex` so it does not
/// shadow the standard library's `Synchronization.Mutex`.)
///
/// Each session queues under `prefix/` with the key `prefix/<lease hex>` (empty value, the
/// session's lease); the key with the lowest create revision holds the mutex. A waiter waits
/// only for the deletion of its direct predecessor (the newest key created before its own),
/// so an unlock wakes one waiter. Two mutexes on the same prefix and session share one key:
/// they do not exclude each other (as in etcd) — give every contender its own ``Session``.
///
/// Ordering contract: ``lock()`` returns only when every key created before this session's
/// key is gone and this session's key still exists; from then until ``unlock()`` or the end of
/// the session no other session's ``lock()`` returns. The lock is only as safe as the lease:
/// pair every guarded write with ``ownerGuard`` (a ``LeaderGuard``) in a transaction.
public actor StoreMutex {
    /// The session whose lease the mutex key carries.
    public nonisolated let session: Session
    /// The key prefix, with the trailing `/` that etcd adds.
    public nonisolated let prefix: Bytes
    private var held: LeaderGuard?

    /// A mutex on `prefix` (etcd `NewMutex(s, pfx)`: keys are `pfx/<lease hex>`).
    public init(session: Session, prefix: String) {
        self.session = session
        self.prefix = Bytes(utf8: prefix + "/")
    }

    /// This session's key under the prefix.
    public nonisolated var key: Bytes { RecipeWaits.key(prefix: prefix, lease: session.lease) }

    /// The guard of the held lock (key + its create revision), nil when not held.
    public var ownerGuard: LeaderGuard? { held }

    /// Waits until this session holds the mutex and returns the guard of its key. When the
    /// calling task is cancelled or the wait fails, the key is deleted and the error thrown
    /// (`CancellationError`, ``RecipeError/sessionExpired(lease:)`` when the key vanished
    /// meanwhile, or a store error).
    @discardableResult
    public func lock() async throws -> LeaderGuard {
        let (mine, owner) = try await enqueue()
        if (owner?.createRevision ?? mine.createRevision) == mine.createRevision {
            held = mine
            return mine
        }
        do {
            _ = try await RecipeWaits.waitDeletes(session.store, prefix: prefix, maxCreateRevision: mine.createRevision - 1)
            guard try await mine.holds(in: session.store) else { throw RecipeError.sessionExpired(lease: session.lease) }
        } catch {
            let store = session.store, compare = mine.compare
            await RecipeWaits.cleanUp(in: session) {
                _ = try await store.txn(TxnRequest(compare: [compare], success: [.deleteRange(DeleteRangeRequest(key: compare.key))]))
            }
            throw error
        }
        held = mine
        return mine
    }

    /// Takes the mutex if nobody holds it, without waiting (etcd 3.5 `TryLock`); throws
    /// ``RecipeError/locked(prefix:)`` when another session holds it (this session's key is
    /// then removed again).
    @discardableResult
    public func tryLock() async throws -> LeaderGuard {
        let (mine, owner) = try await enqueue()
        if (owner?.createRevision ?? mine.createRevision) == mine.createRevision {
            held = mine
            return mine
        }
        _ = try await session.store.txn(TxnRequest(compare: [mine.compare], success: [.deleteRange(DeleteRangeRequest(key: mine.key))]))
        throw RecipeError.locked(prefix: String(decoding: prefix.dropLast(), as: UTF8.self))
    }

    /// Releases the mutex: deletes this session's key (etcd `Unlock`). Unlocking a mutex
    /// that is not held deletes nothing and is not an error.
    public func unlock() async throws {
        _ = try await session.store.deleteRange(DeleteRangeRequest(key: key))
        held = nil
    }

    /// Runs `body` holding the mutex, unlocking afterwards (also when `body` throws).
    public func withLock<T: Sendable>(_ body: @Sendable (LeaderGuard) async throws -> T) async throws -> T {
        let owner = try await lock()
        do {
            let result = try await body(owner)
            try await unlock()
            return result
        } catch {
            try? await unlock()
            throw error
        }
    }

    /// Puts this session's key under the prefix unless it exists, in one transaction that
    /// also reads the current owner (etcd `tryAcquire`). Returns the guard of this session's
    /// key and the owner's key-value (nil when the prefix was empty).
    private func enqueue() async throws -> (mine: LeaderGuard, owner: KeyValue?) {
        let key = self.key
        let request = TxnRequest(
            compare: [Compare(key: key, .createRevision(0), .equal)],
            success: [.put(PutRequest(key: key, value: [], lease: session.lease)), .range(RecipeWaits.firstCreated(under: prefix))],
            failure: [.range(RangeRequest(key: key)), .range(RecipeWaits.firstCreated(under: prefix))])
        let answer = try await session.store.txn(request)
        var revision = answer.header.revision
        if !answer.succeeded {
            guard case .range(let existing) = answer.responses.first, let kv = existing.kvs.first else {
                throw RecipeError.sessionExpired(lease: session.lease)
            }
            revision = kv.createRevision
        }
        guard answer.responses.count == 2, case .range(let owners) = answer.responses[1] else {
            throw StoreError(.internal, "store answered the mutex txn without its owner read; report this store bug")
        }
        return (LeaderGuard(key: key, createRevision: revision), owners.kvs.first)
    }
}
