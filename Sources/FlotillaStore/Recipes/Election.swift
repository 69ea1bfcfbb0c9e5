/// Leader election in the store, with etcd's clientv3/concurrency `Election` algorithm and
/// keys, so `etcdctl elect NAME` and this type see the same leader.
///
/// Each candidate's key is `prefix/<lease hex>` with its value, on its session's lease; the
/// key with the lowest create revision is the leader. A candidate waits only for the
/// deletion of its direct predecessor. The leader's key and create revision form a
/// ``LeaderGuard``: compare it in every write made as leader, so a deposed leader cannot
/// write (DESIGN §6).
///
/// Ordering contract: ``campaign(_:)`` returns only when every key created before this
/// candidate's key is gone and its own key still exists with the create revision it was
/// created with. Leadership ends with ``resign()``, with the session, or when the key is
/// deleted by anyone; the election notices that only on its next call, so watch ``Session/done``
/// or ``observe()`` and guard every write.
public actor Election {
    /// The session whose lease the candidate key carries.
    public nonisolated let session: Session
    /// The key prefix, with the trailing `/` that etcd adds.
    public nonisolated let prefix: Bytes
    /// The candidate key and its create revision from the last campaign (etcd `leaderKey`,
    /// `leaderRev`); nil before a campaign and after resigning or losing the key.
    private var candidacy: LeaderGuard?

    /// An election on `prefix` (etcd `NewElection(s, pfx)`: keys are `pfx/<lease hex>`).
    public init(session: Session, prefix: String) {
        self.session = session
        self.prefix = Bytes(utf8: prefix + "/")
    }

    /// This session's candidate key.
    public nonisolated var key: Bytes { RecipeWaits.key(prefix: prefix, lease: session.lease) }

    /// The guard of this candidate's key once ``campaign(_:)`` has written it (also while
    /// still waiting), nil otherwise.
    public var leaderGuard: LeaderGuard? { candidacy }

    /// Puts this candidate's key with `value` (or takes over its existing key, updating the
    /// value) and waits until it leads; returns the guard for leader writes. When the calling
    /// task is cancelled, the candidacy is withdrawn (key deleted) and `CancellationError`
    /// thrown; when the key vanished while waiting, throws ``RecipeError/sessionExpired(lease:)``.
    @discardableResult
    public func campaign(_ value: Bytes) async throws -> LeaderGuard {
        let key = self.key, store = session.store
        let answer = try await store.txn(TxnRequest(
            compare: [Compare(key: key, .createRevision(0), .equal)],
            success: [.put(PutRequest(key: key, value: value, lease: session.lease))],
            failure: [.range(RangeRequest(key: key))]))
        var mine = LeaderGuard(key: key, createRevision: answer.header.revision)
        if !answer.succeeded {
            guard case .range(let existing) = answer.responses.first, let kv = existing.kvs.first else {
                throw RecipeError.sessionExpired(lease: session.lease)
            }
            mine.createRevision = kv.createRevision
            candidacy = mine
            if kv.value != value {
                do { try await proclaim(value) } catch {
                    try? await resign()
                    throw error
                }
            }
        }
        candidacy = mine
        do {
            _ = try await RecipeWaits.waitDeletes(store, prefix: prefix, maxCreateRevision: mine.createRevision - 1)
            guard try await mine.holds(in: store) else {
                throw candidacy == mine ? RecipeError.sessionExpired(lease: session.lease) : RecipeError.notLeader(key: key.utf8String)
            }
        } catch {
            if candidacy == mine { candidacy = nil }
            if Task.isCancelled {
                await RecipeWaits.cleanUp(in: session) { [mine] in try await Self.delete(mine, in: store) }
            }
            throw error
        }
        guard candidacy == mine else { throw RecipeError.notLeader(key: key.utf8String) }
        return mine
    }

    /// Replaces the leader value without a new election, only while this candidate's key
    /// still has its create revision (the lease is kept). Throws
    /// ``RecipeError/notLeader(key:)`` when there is no candidacy or the key was lost.
    public func proclaim(_ value: Bytes) async throws {
        guard let mine = candidacy else { throw RecipeError.notLeader(key: key.utf8String) }
        let answer = try await session.store.txn(TxnRequest(
            compare: [mine.compare],
            success: [.put(PutRequest(key: mine.key, value: value, ignoreLease: true))]))
        guard answer.succeeded else {
            if candidacy == mine { candidacy = nil }
            throw RecipeError.notLeader(key: mine.key.utf8String)
        }
    }

    /// Gives up leadership (or a pending candidacy): deletes this candidate's key if it still
    /// has its create revision. Without a candidacy it does nothing.
    public func resign() async throws {
        guard let mine = candidacy else { return }
        candidacy = nil
        try await Self.delete(mine, in: session.store)
    }

    /// The current leader's key-value (lowest create revision under the prefix), nil when
    /// nobody campaigns.
    public nonisolated func leader() async throws -> KeyValue? {
        try await session.store.range(RecipeWaits.firstCreated(under: prefix)).kvs.first
    }

    /// The leader's key-value now and after every change of leader or of its value (etcd
    /// `Observe`).
    public nonisolated func observe() -> LeaderObservation {
        LeaderObservation(store: session.store, prefix: prefix)
    }

    private static func delete(_ mine: LeaderGuard, in store: any KeyValueStore) async throws {
        _ = try await store.txn(TxnRequest(compare: [mine.compare], success: [.deleteRange(DeleteRangeRequest(key: mine.key))]))
    }
}
