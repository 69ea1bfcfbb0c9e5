import FlotillaStore
import Foundation
import GRDB

/// Applies one request to the revision log inside the writer's SQLite transaction. Every
/// change of the request shares one revision (`base + 1`); the revision is used only when
/// something was written (``wrote``). The changes are collected as ``events`` in order.
struct WriteTransaction {
    /// The writer's connection, inside `BEGIN IMMEDIATE` and a per-request savepoint.
    let db: Database
    /// The store revision before this request.
    let base: Int64
    /// The compaction revision.
    let compacted: Int64
    /// The changes so far, in order.
    private(set) var events: [Event] = []

    /// The revision this request writes at.
    var revision: Int64 { base + 1 }
    /// True once the request has changed something.
    var wrote: Bool { !events.isEmpty }
    /// The store revision after the request.
    var revisionAfter: Int64 { wrote ? revision : base }

    init(db: Database, base: Int64, compacted: Int64) {
        self.db = db
        self.base = base
        self.compacted = compacted
    }

    /// Writes one key.
    mutating func put(_ request: PutRequest) throws -> PutResponse {
        let previous = try RevisionLog.latest(db, key: request.key, atRevision: revision)
        if (request.ignoreValue || request.ignoreLease) && previous == nil { throw StoreError.keyNotFound }
        let lease = request.ignoreLease ? previous?.lease ?? 0 : request.lease
        if lease != 0, try !LeaseTable.exists(db, id: lease) { throw StoreError.leaseNotFound }
        let kv = KeyValue(key: request.key, createRevision: previous?.createRevision ?? revision,
                          modRevision: revision, version: (previous?.version ?? 0) + 1,
                          value: request.ignoreValue ? previous?.value ?? [] : request.value, lease: lease)
        try insert(kv, deleted: false)
        events.append(Event(type: .put, kv: kv, prevKV: previous))
        return PutResponse(header: ResponseHeader(revision: revision), prevKV: request.prevKV ? previous : nil)
    }

    /// Deletes a key or a range; writes only when something was live.
    mutating func deleteRange(_ request: DeleteRangeRequest) throws -> DeleteRangeResponse {
        let live = try RevisionLog.live(db, key: request.key, rangeEnd: request.rangeEnd, atRevision: revision)
        try delete(live)
        return DeleteRangeResponse(header: ResponseHeader(revision: revisionAfter), deleted: Int64(live.count),
                                   prevKVs: request.prevKV ? live : [])
    }

    /// Writes tombstones for `kvs` (live key-values).
    mutating func delete(_ kvs: [KeyValue]) throws {
        for previous in kvs {
            let tombstone = KeyValue(key: previous.key, modRevision: revision)
            try insert(tombstone, deleted: true)
            events.append(Event(type: .delete, kv: tombstone, prevKV: previous))
        }
    }

    /// Compares, then runs the chosen branch. Range revisions are checked against the store
    /// revision before the request.
    mutating func txn(_ request: TxnRequest, nested: Bool = false) throws -> TxnResponse {
        var succeeded = true
        for compare in request.compare {
            let kvs = try RevisionLog.live(db, key: compare.key, rangeEnd: compare.rangeEnd, atRevision: revision)
            if !CompareEvaluation.holds(compare, over: kvs) {
                succeeded = false
                break
            }
        }
        var responses: [ResponseOp] = []
        for op in succeeded ? request.success : request.failure {
            switch op {
            case .range(let range):
                // A range after a write in the same txn reads the txn's own writes.
                responses.append(.range(try RangeReading.range(db, range, current: wrote ? revision : base,
                                                               compacted: compacted, header: revisionAfter)))
            case .put(let put): responses.append(.put(try self.put(put)))
            case .deleteRange(let delete): responses.append(.deleteRange(try deleteRange(delete)))
            case .txn(let inner): responses.append(.txn(try txn(inner, nested: true)))
            }
        }
        let header = ResponseHeader(revision: nested ? 0 : revisionAfter)
        return TxnResponse(header: header, succeeded: succeeded, responses: finalHeaders(responses))
    }

    /// Puts and deletes inside a txn report the txn's final revision.
    private func finalHeaders(_ responses: [ResponseOp]) -> [ResponseOp] {
        responses.map { response in
            switch response {
            case .put(var put):
                put.header = ResponseHeader(revision: revisionAfter)
                return .put(put)
            case .deleteRange(var delete):
                delete.header = ResponseHeader(revision: revisionAfter)
                return .deleteRange(delete)
            case .range(var range):
                range.header = ResponseHeader(revision: revisionAfter)
                return .range(range)
            case .txn: return response
            }
        }
    }

    private func insert(_ kv: KeyValue, deleted: Bool) throws {
        try db.cachedStatement(sql: """
            INSERT INTO kv(key, revision, sub, create_revision, version, value, lease, deleted)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [Data(kv.key), kv.modRevision, events.count, kv.createRevision, kv.version,
                             Data(kv.value), kv.lease, deleted ? 1 : 0])
    }
}
