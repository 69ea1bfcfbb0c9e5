/// The store Flotilla keeps all shared state in, with etcd v3 semantics (revisions, MVCC
/// history, transactions, leases, watches). Implemented by the in-memory reference store,
/// the embedded SQLite store and the etcd client; one conformance suite
/// (`FlotillaTesting.StoreConformance`) holds them to the same behaviour.
///
/// Ordering contract: every write that returns has a revision no smaller than any write that
/// returned before it on the same store; a watch delivers events in revision order, each
/// revision's events together in one ``WatchResponse``.
/// Errors are ``StoreError`` values carrying etcd's exact texts.
public protocol KeyValueStore: Sendable {
    /// Reads keys (etcd `KV.Range`).
    func range(_ request: RangeRequest) async throws -> RangeResponse
    /// Writes one key (etcd `KV.Put`).
    func put(_ request: PutRequest) async throws -> PutResponse
    /// Deletes a key or a range (etcd `KV.DeleteRange`); one revision for all deleted keys.
    func deleteRange(_ request: DeleteRangeRequest) async throws -> DeleteRangeResponse
    /// Compares, then runs one branch atomically (etcd `KV.Txn`); one revision if it writes.
    func txn(_ request: TxnRequest) async throws -> TxnResponse
    /// Drops history older than a revision (etcd `KV.Compact`).
    func compact(_ request: CompactionRequest) async throws -> ResponseHeader
    /// Starts a watch. Replays history from `startRevision` when given; a compacted start
    /// revision makes the stream throw ``StoreError/compacted(compactRevision:)``.
    func watch(_ request: WatchCreateRequest) async throws -> WatchStream
    /// Grants a lease; `id` 0 lets the store choose. The TTL is raised to the store's minimum.
    func leaseGrant(ttl: Int64, id: Int64) async throws -> LeaseGrantResponse
    /// Revokes a lease and deletes its keys in one revision.
    func leaseRevoke(id: Int64) async throws -> ResponseHeader
    /// Renews a lease to its granted TTL; an unknown lease answers TTL 0.
    func leaseKeepAlive(id: Int64) async throws -> LeaseKeepAliveResponse
    /// A lease's remaining TTL (-1 when unknown or expired) and optionally its keys.
    func leaseTimeToLive(id: Int64, keys: Bool) async throws -> LeaseTimeToLiveResponse
    /// Every live lease.
    func leaseLeases() async throws -> LeaseLeasesResponse
    /// Store status: revision, size, version.
    func status() async throws -> StoreStatus
}
