/// Proof of holding a recipe key — the election key of a leader or the key of a
/// ``StoreMutex`` holder — as the key plus the create revision it had when it was won.
/// While the holder keeps the key, its create revision stays the same; once the key is
/// deleted (resign, unlock, lease revoked or expired) it can never come back with the same
/// create revision. So a transaction that compares it is refused to a deposed holder, even
/// one that campaigned again since.
public struct LeaderGuard: Sendable, Hashable {
    /// The held key (`prefix/<lease hex>`).
    public var key: Bytes
    /// The create revision of the key when it was won.
    public var createRevision: Int64

    /// Creates a guard for `key` created at `createRevision`.
    public init(key: Bytes, createRevision: Int64) {
        self.key = key
        self.createRevision = createRevision
    }

    /// A guard for the key-value of a leader (e.g. from ``Election/leader()``).
    public init(_ kv: KeyValue) {
        self.init(key: kv.key, createRevision: kv.createRevision)
    }

    /// The condition "the key still has this create revision", to add to a transaction's
    /// compares (etcd `Mutex.IsOwner()`).
    public var compare: Compare {
        Compare(key: key, .createRevision(createRevision), .equal)
    }

    /// `request` with ``compare`` added in front of its own compares. A failed response then
    /// means that either the guard or one of the request's own compares failed.
    public func guarding(_ request: TxnRequest) -> TxnRequest {
        var guarded = request
        guarded.compare.insert(compare, at: 0)
        return guarded
    }

    /// Runs `request` only while the guard holds: the request is nested inside an outer
    /// transaction that compares the guard, so its own compares keep their meaning.
    /// Returns the request's own response (with the outer header); throws
    /// ``RecipeError/leadershipLost(key:createRevision:)`` when the guard failed, in which case
    /// nothing was written.
    public func commit(_ request: TxnRequest, to store: any KeyValueStore) async throws -> TxnResponse {
        let outer = try await store.txn(TxnRequest(compare: [compare], success: [.txn(request)]))
        guard outer.succeeded else {
            throw RecipeError.leadershipLost(key: key.utf8String, createRevision: createRevision)
        }
        guard case .txn(var inner) = outer.responses.first else {
            throw StoreError(.internal, "store answered a nested txn without its response; report this store bug")
        }
        inner.header = outer.header
        return inner
    }

    /// True while the key still exists with the guard's create revision.
    public func holds(in store: any KeyValueStore) async throws -> Bool {
        try await store.range(RangeRequest(key: key)).kvs.first?.createRevision == createRevision
    }
}
