import FlotillaStore
import GRDB

/// One row of the `lease` table.
struct LeaseRecord: Sendable, Hashable {
    /// Lease ID.
    var id: Int64
    /// Granted TTL in seconds.
    var grantedTTL: Int64
    /// Wall-clock deadline, milliseconds since 1970.
    var expiresAt: Int64
}

/// SQL on the `lease` table. Deadlines are wall-clock milliseconds so a lease expires on time
/// across restarts (etcd 3.4 instead restarts the TTL).
enum LeaseTable {
    /// True when the lease exists (even if past its deadline but not yet revoked).
    static func exists(_ db: Database, id: Int64) throws -> Bool {
        try record(db, id: id) != nil
    }

    /// The lease row.
    static func record(_ db: Database, id: Int64) throws -> LeaseRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT id, granted_ttl, expires_at FROM lease WHERE id = ?"), arguments: [id])
            .map { LeaseRecord(id: $0[0], grantedTTL: $0[1], expiresAt: $0[2]) }
    }

    /// Every lease row.
    static func all(_ db: Database) throws -> [LeaseRecord] {
        try Row.fetchAll(db, sql: "SELECT id, granted_ttl, expires_at FROM lease ORDER BY id")
            .map { LeaseRecord(id: $0[0], grantedTTL: $0[1], expiresAt: $0[2]) }
    }

    /// Inserts or replaces a lease row.
    static func save(_ db: Database, _ record: LeaseRecord) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO lease(id, granted_ttl, expires_at) VALUES (?, ?, ?)")
            .execute(arguments: [record.id, record.grantedTTL, record.expiresAt])
    }

    /// Removes a lease row.
    static func remove(_ db: Database, id: Int64) throws {
        try db.cachedStatement(sql: "DELETE FROM lease WHERE id = ?").execute(arguments: [id])
    }
}

extension WriteTransaction {
    /// Grants a lease (no revision). `id` 0 picks a random positive ID; the TTL is raised to
    /// the minimum.
    func leaseGrant(ttl: Int64, id: Int64, now: Int64) throws -> LeaseGrantResponse {
        if ttl > StoreLimits.maxLeaseTTL { throw StoreError.leaseTTLTooLarge }
        var chosen = id
        if chosen == 0 {
            repeat { chosen = Int64.random(in: 1...Int64.max) } while try LeaseTable.exists(db, id: chosen)
        } else if try LeaseTable.exists(db, id: chosen) {
            throw StoreError.leaseExists
        }
        let granted = max(ttl, StoreLimits.minLeaseTTL)
        try LeaseTable.save(db, LeaseRecord(id: chosen, grantedTTL: granted, expiresAt: now + granted * 1000))
        return LeaseGrantResponse(header: ResponseHeader(revision: base), id: chosen, ttl: granted)
    }

    /// Revokes a lease and deletes its keys in one revision. With `expiredBy`, only when the
    /// lease's deadline is at or before that time (expiry racing a keep-alive); returns nil
    /// when it was not expired.
    mutating func leaseRevoke(id: Int64, expiredBy: Int64? = nil) throws -> ResponseHeader? {
        guard let record = try LeaseTable.record(db, id: id) else {
            if expiredBy != nil { return nil }
            throw StoreError.leaseNotFound
        }
        if let expiredBy, record.expiresAt > expiredBy { return nil }
        try delete(try RevisionLog.keys(db, lease: id, atRevision: revision))
        try LeaseTable.remove(db, id: id)
        return ResponseHeader(revision: revisionAfter)
    }

    /// Renews a lease to its granted TTL; TTL 0 when unknown or already expired.
    func leaseKeepAlive(id: Int64, now: Int64) throws -> LeaseKeepAliveResponse {
        guard var record = try LeaseTable.record(db, id: id), record.expiresAt > now else {
            return LeaseKeepAliveResponse(header: ResponseHeader(revision: base), id: id, ttl: 0)
        }
        record.expiresAt = now + record.grantedTTL * 1000
        try LeaseTable.save(db, record)
        return LeaseKeepAliveResponse(header: ResponseHeader(revision: base), id: id, ttl: record.grantedTTL)
    }
}
