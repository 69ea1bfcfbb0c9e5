extension InMemoryStore {
    /// Grants a lease (ID 0 = a seeded random positive ID; TTL raised to the minimum).
    public func leaseGrant(ttl: Int64, id: Int64) throws -> LeaseGrantResponse {
        expireLeases()
        if ttl > StoreLimits.maxLeaseTTL { throw StoreError.leaseTTLTooLarge }
        if id != 0 && leases[id] != nil { throw StoreError.leaseExists }
        var chosen = id
        while chosen == 0 || leases[chosen] != nil { chosen = leaseIDs.next() }
        let granted = max(ttl, StoreLimits.minLeaseTTL)
        leases[chosen] = Lease(id: chosen, grantedTTL: granted, expiry: clock.now() + .seconds(granted))
        return LeaseGrantResponse(header: ResponseHeader(revision: revision), id: chosen, ttl: granted)
    }

    /// Revokes a lease, deleting its keys in one revision.
    public func leaseRevoke(id: Int64) throws -> ResponseHeader {
        expireLeases()
        guard leases[id] != nil else { throw StoreError.leaseNotFound }
        revoke(id)
        return ResponseHeader(revision: revision)
    }

    /// Renews a lease to its granted TTL; TTL 0 when unknown.
    public func leaseKeepAlive(id: Int64) -> LeaseKeepAliveResponse {
        expireLeases()
        guard let lease = leases[id] else {
            return LeaseKeepAliveResponse(header: ResponseHeader(revision: revision), id: id, ttl: 0)
        }
        leases[id]?.expiry = clock.now() + .seconds(lease.grantedTTL)
        return LeaseKeepAliveResponse(header: ResponseHeader(revision: revision), id: id, ttl: lease.grantedTTL)
    }

    /// Remaining TTL (whole seconds, truncated), -1 when unknown; optionally the keys.
    public func leaseTimeToLive(id: Int64, keys: Bool) -> LeaseTimeToLiveResponse {
        expireLeases()
        guard let lease = leases[id] else {
            return LeaseTimeToLiveResponse(header: ResponseHeader(revision: revision), id: id, ttl: -1, grantedTTL: 0)
        }
        let remaining = (lease.expiry - clock.now()).components.seconds
        return LeaseTimeToLiveResponse(header: ResponseHeader(revision: revision), id: id, ttl: max(remaining, 0),
                                       grantedTTL: lease.grantedTTL, keys: keys ? lease.keys.sorted { $0.sortsBefore($1) } : [])
    }

    /// Every live lease, ID-ascending.
    public func leaseLeases() -> LeaseLeasesResponse {
        expireLeases()
        return LeaseLeasesResponse(header: ResponseHeader(revision: revision), leases: leases.keys.sorted())
    }

    /// Expires every lease whose time is up, each in its own revision (when it had keys),
    /// deleting its keys. Called at the start of every request; call it from a timer to
    /// deliver expiry events to watches without waiting for the next request.
    public func expireLeases() {
        let now = clock.now()
        let due = leases.values.filter { $0.expiry <= now }.map(\.id).sorted()
        for id in due { revoke(id) }
    }

    /// Removes a lease and deletes its keys in one revision.
    private func revoke(_ id: Int64) {
        guard let lease = leases.removeValue(forKey: id) else { return }
        for key in lease.keys.sorted(by: { $0.sortsBefore($1) }) {
            guard let kv = history.value(of: key), kv.lease == id else { continue }
            _ = applyDelete(key: key, rangeEnd: [])
        }
        commit()
    }
}
