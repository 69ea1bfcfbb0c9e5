import FlotillaStore
import Foundation
import GRDB

/// One request for the writer. Each is applied in its own savepoint and, when it writes,
/// gets its own revision.
enum WriteOperation: Sendable {
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    /// Records a new compaction revision (the rows are removed by ``compactChunk(revision:after:)``).
    case compact(revision: Int64)
    /// Removes superseded rows ≤ `revision` for the next keys after `after` (nil = from the start).
    case compactChunk(revision: Int64, after: Bytes?)
    case leaseGrant(ttl: Int64, id: Int64, now: Int64)
    case leaseRevoke(id: Int64)
    /// Revokes the lease only if its deadline is at or before `now`.
    case leaseExpire(id: Int64, now: Int64)
    case leaseKeepAlive(id: Int64, now: Int64)
}

/// The result of one ``WriteOperation``.
enum WriteOutcome: Sendable {
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
    case header(ResponseHeader)
    case leaseGrant(LeaseGrantResponse)
    case leaseKeepAlive(LeaseKeepAliveResponse)
    /// The last key compacted, nil when the pass is complete.
    case compactChunk(next: Bytes?)
    /// Nothing happened (an expiry that lost a race with a keep-alive).
    case nothing
}

extension WriteOperation {
    /// etcd's storage-free checks, run before the request touches the database.
    func validate() throws {
        switch self {
        case .put(let request):
            try RequestValidation.validate(request)
            try RequestSize.check(request)
        case .deleteRange(let request): try RequestValidation.validate(request)
        case .txn(let request):
            try RequestValidation.validate(request)
            try RequestSize.check(request)
        default: break
        }
    }

    /// Applies the request. `compacted` is updated by a compaction.
    func apply(_ tx: inout WriteTransaction, compacted: inout Int64) throws -> WriteOutcome {
        switch self {
        case .put(let request): return .put(try tx.put(request))
        case .deleteRange(let request): return .deleteRange(try tx.deleteRange(request))
        case .txn(let request): return .txn(try tx.txn(request))
        case .compact(let revision):
            try RevisionRules.checkCompact(revision, current: tx.base, compactRevision: compacted)
            try StoreDatabase.setMeta(tx.db, "compact_revision", revision)
            compacted = revision
            return .header(ResponseHeader(revision: tx.base))
        case .compactChunk(let revision, let after):
            return .compactChunk(next: try Compaction.chunk(tx.db, revision: revision, after: after))
        case .leaseGrant(let ttl, let id, let now):
            return .leaseGrant(try tx.leaseGrant(ttl: ttl, id: id, now: now))
        case .leaseRevoke(let id):
            return try tx.leaseRevoke(id: id).map(WriteOutcome.header) ?? .nothing
        case .leaseExpire(let id, let now):
            return try tx.leaseRevoke(id: id, expiredBy: now).map(WriteOutcome.header) ?? .nothing
        case .leaseKeepAlive(let id, let now):
            return .leaseKeepAlive(try tx.leaseKeepAlive(id: id, now: now))
        }
    }
}

/// Physical compaction, in chunks of keys so writers are never locked out for long (kine's
/// compaction locks SQLite writers out). Each chunk removes, per key, every row ≤ R except the
/// newest, and that one too when it is a tombstone — all rows of a key in one statement, so a
/// read at ≥ R never sees an older version resurface.
enum Compaction {
    /// Keys per chunk.
    static let keysPerChunk = 500

    /// Compacts the next keys after `after`; returns the last key handled, nil when done.
    static func chunk(_ db: Database, revision: Int64, after: Bytes?) throws -> Bytes? {
        let start = after.map { Data($0) } ?? Data()
        let keys = try Data.fetchAll(db, sql: "SELECT DISTINCT key FROM kv WHERE key > ? ORDER BY key LIMIT ?",
                                     arguments: [start, keysPerChunk])
        guard let last = keys.last else {
            try StoreDatabase.setMeta(db, "compact_done", revision)
            return nil
        }
        try db.execute(sql: """
            DELETE FROM kv WHERE key > ? AND key <= ? AND revision <= ? AND (deleted = 1 OR EXISTS (
                SELECT 1 FROM kv AS n WHERE n.key = kv.key AND n.revision > kv.revision AND n.revision <= ?))
            """, arguments: [start, last, revision, revision])
        return Bytes(last)
    }
}
