/// The in-memory reference implementation of ``KeyValueStore``: full MVCC history,
/// transactions, compaction, leases and watches with etcd v3.4 semantics. Nothing is
/// persisted. Lease time comes from an injected ``LeaseClock``; leases expire lazily at the
/// start of every call and whenever ``expireLeases()`` is called.
///
/// Ordering contract: the actor serialises every request, so revisions are handed out in
/// call order; watch events are published before the write returns.
public actor InMemoryStore: KeyValueStore {
    /// The etcd API version this store implements, reported by ``status()``.
    public static let apiVersion = "3.4.0"

    var history = KeyHistory()
    /// Current store revision; a fresh store is at 1.
    var revision: Int64 = 1
    /// Compaction revision; 0 before any compaction.
    var compactRevision: Int64 = 0
    /// Every event still in history, in revision order, with its previous key-value.
    var eventLog: [Event] = []
    /// Events of the write in progress, all at `revision + 1`.
    var pendingEvents: [Event] = []
    var leases: [Int64: Lease] = [:]
    var leaseIDs: SeededLeaseIDSource
    let clock: any LeaseClock
    let hub = WatchHub()

    /// A granted lease.
    struct Lease: Sendable {
        var id: Int64
        var grantedTTL: Int64
        var expiry: ContinuousClock.Instant
        var keys: Set<Bytes> = []
    }

    /// Creates an empty store at revision 1. `seed` makes lease IDs chosen by the store
    /// deterministic; without it they are random.
    public init(clock: any LeaseClock = SystemLeaseClock(), seed: UInt64? = nil) {
        self.clock = clock
        self.leaseIDs = SeededLeaseIDSource(seed: seed ?? UInt64.random(in: .min ... .max))
    }

    /// Number of watches currently registered (for leak checks).
    public nonisolated var activeWatchCount: Int { hub.count }

    /// Reads keys at the current or a historical revision (see ``KeyValueStore/range(_:)``).
    public func range(_ request: RangeRequest) throws -> RangeResponse {
        expireLeases()
        try RequestValidation.validate(request)
        try RevisionRules.checkRead(request.revision, current: revision, compactRevision: compactRevision)
        return rangeResponse(request, currentRevision: revision)
    }

    /// Writes one key in a new revision (see ``KeyValueStore/put(_:)``).
    public func put(_ request: PutRequest) throws -> PutResponse {
        expireLeases()
        try RequestValidation.validate(request)
        try WritePreflight.checkPut(request, in: view)
        let previous = applyPut(request)
        commit()
        return PutResponse(header: ResponseHeader(revision: revision), prevKV: request.prevKV ? previous : nil)
    }

    /// Deletes a key or range; bumps the revision only when something was deleted.
    public func deleteRange(_ request: DeleteRangeRequest) throws -> DeleteRangeResponse {
        expireLeases()
        try RequestValidation.validate(request)
        let deleted = applyDelete(key: request.key, rangeEnd: request.rangeEnd)
        commit()
        return DeleteRangeResponse(header: ResponseHeader(revision: revision), deleted: Int64(deleted.count),
                                   prevKVs: request.prevKV ? deleted : [])
    }

    /// Compacts history at a revision; reads at or after it keep working.
    public func compact(_ request: CompactionRequest) throws -> ResponseHeader {
        expireLeases()
        try RevisionRules.checkCompact(request.revision, current: revision, compactRevision: compactRevision)
        if request.revision > 0 {
            compactRevision = request.revision
            history.compact(at: request.revision)
            eventLog.removeSubrange(0..<firstEventIndex(atOrAfter: request.revision))
        }
        return ResponseHeader(revision: revision)
    }

    /// Revision, API version and an estimate of the bytes held.
    public func status() -> StoreStatus {
        expireLeases()
        let size = history.byteEstimate + Int64(eventLog.count * 48) + 4096
        return StoreStatus(header: ResponseHeader(revision: revision), version: Self.apiVersion,
                           dbSize: size, dbSizeInUse: size, compactRevision: compactRevision)
    }

    // MARK: - Write primitives (all writes of one request share `revision + 1`)

    /// The store as the preflight checks see it.
    var view: WritePreflight.StoreView {
        WritePreflight.StoreView(
            lookup: { [history] key in history.value(of: key) },
            rangeLookup: { [history] key, end in history.values(key: key, rangeEnd: end) },
            leaseExists: { [leases] id in leases[id] != nil },
            currentRevision: revision, compactRevision: compactRevision)
    }

    /// Reads a range (at the request's revision) and post-processes it.
    func rangeResponse(_ request: RangeRequest, currentRevision: Int64) -> RangeResponse {
        let kvs = history.values(key: request.key, rangeEnd: request.rangeEnd,
                                 at: request.revision > 0 ? request.revision : nil)
        return RangeProcessing.respond(to: request, kvs: kvs, currentRevision: currentRevision)
    }

    /// Applies a checked put; returns the previous key-value.
    func applyPut(_ request: PutRequest) -> KeyValue? {
        let writeRevision = revision + 1
        let existing = history.value(of: request.key)
        let lease = request.ignoreLease ? (existing?.lease ?? 0) : request.lease
        let kv = KeyValue(key: request.key,
                          createRevision: existing?.createRevision ?? writeRevision,
                          modRevision: writeRevision,
                          version: (existing?.version ?? 0) + 1,
                          value: request.ignoreValue ? (existing?.value ?? []) : request.value,
                          lease: lease)
        history.record(kv)
        if let old = existing?.lease, old != 0, old != lease { leases[old]?.keys.remove(request.key) }
        if lease != 0 { leases[lease]?.keys.insert(request.key) }
        pendingEvents.append(Event(type: .put, kv: kv, prevKV: existing))
        return existing
    }

    /// Deletes every live key in a range; returns the deleted key-values.
    func applyDelete(key: Bytes, rangeEnd: Bytes) -> [KeyValue] {
        let writeRevision = revision + 1
        let deleted = history.values(key: key, rangeEnd: rangeEnd)
        for kv in deleted {
            history.recordDelete(kv.key, revision: writeRevision)
            if kv.lease != 0 { leases[kv.lease]?.keys.remove(kv.key) }
            pendingEvents.append(Event(type: .delete, kv: KeyValue(key: kv.key, modRevision: writeRevision), prevKV: kv))
        }
        return deleted
    }

    /// Ends a write: when it changed anything, bumps the revision by one, logs the events
    /// and publishes them to watches.
    func commit() {
        guard !pendingEvents.isEmpty else { return }
        revision += 1
        eventLog += pendingEvents
        hub.publish(pendingEvents, revision: revision)
        pendingEvents = []
    }

    /// Index of the first logged event at or after `revision`.
    func firstEventIndex(atOrAfter revision: Int64) -> Int {
        var low = 0, high = eventLog.count
        while low < high {
            let mid = (low + high) / 2
            if eventLog[mid].kv.modRevision < revision { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
