import FlotillaStore
import GRDB

extension SQLiteStore {
    /// Grants a lease (random positive ID when `id` is 0, TTL raised to the minimum); stored durably.
    public func leaseGrant(ttl: Int64, id: Int64) async throws -> LeaseGrantResponse {
        let now = LeaseDeadlines.now()
        guard case .leaseGrant(let response) = try await submit(.leaseGrant(ttl: ttl, id: id, now: now)) else { throw unexpected() }
        deadlines.set(response.id, expiresAt: now + response.ttl * 1000)
        return response
    }

    /// Revokes a lease and deletes its keys in one revision.
    public func leaseRevoke(id: Int64) async throws -> ResponseHeader {
        guard case .header(let header) = try await submit(.leaseRevoke(id: id)) else { throw unexpected() }
        deadlines.remove(id)
        return header
    }

    /// Renews a lease to its granted TTL; TTL 0 when unknown or expired.
    public func leaseKeepAlive(id: Int64) async throws -> LeaseKeepAliveResponse {
        let now = LeaseDeadlines.now()
        guard case .leaseKeepAlive(let response) = try await submit(.leaseKeepAlive(id: id, now: now)) else { throw unexpected() }
        if response.ttl > 0 { deadlines.set(id, expiresAt: now + response.ttl * 1000) }
        return response
    }

    /// Remaining whole seconds (-1 when unknown or expired), granted TTL and optionally the attached keys.
    public func leaseTimeToLive(id: Int64, keys: Bool) async throws -> LeaseTimeToLiveResponse {
        let now = LeaseDeadlines.now()
        return try await read { db, current, _ in
            let header = ResponseHeader(revision: current)
            guard let record = try LeaseTable.record(db, id: id), record.expiresAt > now else {
                return LeaseTimeToLiveResponse(header: header, id: id, ttl: -1, grantedTTL: 0)
            }
            let attached = keys ? try RevisionLog.keys(db, lease: id, atRevision: current).map(\.key) : []
            return LeaseTimeToLiveResponse(header: header, id: id, ttl: (record.expiresAt - now) / 1000,
                                           grantedTTL: record.grantedTTL, keys: attached)
        }
    }

    /// Every lease not yet past its deadline.
    public func leaseLeases() async throws -> LeaseLeasesResponse {
        let now = LeaseDeadlines.now()
        return try await read { db, current, _ in
            let live = try LeaseTable.all(db).filter { $0.expiresAt > now }.map(\.id)
            return LeaseLeasesResponse(header: ResponseHeader(revision: current), leases: live)
        }
    }
}
