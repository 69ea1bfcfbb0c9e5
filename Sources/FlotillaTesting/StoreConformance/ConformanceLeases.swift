import FlotillaStore

extension StoreConformance {
    /// Leases: grant, limits, unknown IDs, attached keys, revoke, keep-alive, expiry.
    static var leaseCases: [Case] {
        [
            Case("lease.grant") { harness in
                let store = try await harness.makeStore()
                let short = try await store.leaseGrant(ttl: 1, id: 0)
                try checkEqual(short.ttl, StoreLimits.minLeaseTTL, "TTL raised to the minimum")
                try check(short.id > 0, "a chosen ID is positive: \(short.id)")
                let chosen = try await store.leaseGrant(ttl: 60, id: 4242)
                try checkEqual(chosen.id, 4242, "a given ID is honoured")
                try checkEqual(chosen.ttl, 60, "TTL")
                try checkEqual(chosen.header.revision, 1, "granting does not bump the revision")
                try await checkThrows(.leaseExists, "duplicate ID") { try await store.leaseGrant(ttl: 60, id: 4242) }
                try await checkThrows(.leaseTTLTooLarge, "TTL too large") { try await store.leaseGrant(ttl: StoreLimits.maxLeaseTTL + 1, id: 0) }
                let list = try await store.leaseLeases().leases
                try checkEqual(Set(list), [short.id, 4242], "lease list")
            },
            Case("lease.unknownIDs") { harness in
                let store = try await harness.makeStore()
                try await checkThrows(.leaseNotFound, "revoke an unknown lease") { try await store.leaseRevoke(id: 77) }
                let keepAlive = try await store.leaseKeepAlive(id: 77)
                try checkEqual(keepAlive.ttl, 0, "keep-alive of an unknown lease")
                let timeToLive = try await store.leaseTimeToLive(id: 77, keys: true)
                try checkEqual(timeToLive.ttl, -1, "time-to-live of an unknown lease")
                try checkEqual(timeToLive.keys, [], "no keys")
            },
            Case("lease.keysAndKeepAlive") { harness in
                let store = try await harness.makeStore()
                let lease = try await store.leaseGrant(ttl: 30, id: 0).id
                try await store.put("b", "1", lease: lease)
                try await store.put("a", "1", lease: lease)
                try await store.put("c", "1")
                try checkEqual(try await store.get("a")?.lease, lease, "kv carries its lease")
                let timeToLive = try await store.leaseTimeToLive(id: lease, keys: true)
                try checkEqual(Set(timeToLive.keys), [b("a"), b("b")], "attached keys")
                try checkEqual(timeToLive.grantedTTL, 30, "granted TTL")
                try check(timeToLive.ttl > 0 && timeToLive.ttl <= 30, "remaining TTL \(timeToLive.ttl)")
                try checkEqual(try await store.leaseKeepAlive(id: lease).ttl, 30, "keep-alive answers the granted TTL")
                try await store.put("b", "2")
                let after = try await store.leaseTimeToLive(id: lease, keys: true)
                try checkEqual(after.keys, [b("a")], "a put without the lease detaches the key")
            },
            Case("lease.revokeDeletesKeysInOneRevision") { harness in
                let store = try await harness.makeStore()
                let lease = try await store.leaseGrant(ttl: 60, id: 0).id
                try await store.put("a", "1", lease: lease)
                try await store.put("b", "1", lease: lease)
                try await store.put("c", "1")
                let watch = try await WatchRecorder.start(store, WatchCreateRequest(key: [0], rangeEnd: [0]))
                let header = try await store.leaseRevoke(id: lease)
                try checkEqual(header.revision, 5, "revoke bumps the revision once")
                let responses = try await watch.waitForEvents(2)
                await watch.stop()
                try checkEqual(responses.count, 1, "one response")
                try checkEqual(Set(responses[0].events.map(\.kv.key)), [b("a"), b("b")], "deleted keys")
                try check(responses[0].events.allSatisfy { $0.type == .delete && $0.kv.modRevision == 5 }, "delete events at 5")
                try checkEqual(keys(try await store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs), ["c"], "keys left")
                try checkEqual(try await store.leaseLeases().leases, [], "lease gone")
                try checkEqual(try await store.leaseTimeToLive(id: lease, keys: false).ttl, -1, "revoked lease")
                let empty = try await store.leaseGrant(ttl: 60, id: 0).id
                try checkEqual(try await store.leaseRevoke(id: empty).revision, 5, "revoking a lease without keys does not bump")
            },
            Case("lease.expiryDeletesKeys", slow: true) { harness in
                let store = try await harness.makeStore()
                let lease = try await store.leaseGrant(ttl: 2, id: 0).id
                try await store.put("a", "1", lease: lease)
                try await store.put("b", "1", lease: lease)
                let watch = try await WatchRecorder.start(store, WatchCreateRequest(key: [0], rangeEnd: [0]))
                try await harness.advance(seconds: 3)
                try await eventually(harness, timeout: .seconds(10), "lease expiry") {
                    try await store.range(RangeRequest(key: [0], rangeEnd: [0])).count == 0
                }
                try checkEqual(try await store.leaseTimeToLive(id: lease, keys: false).ttl, -1, "expired lease")
                try checkEqual(try await store.leaseKeepAlive(id: lease).ttl, 0, "keep-alive of an expired lease")
                let responses = try await watch.waitForEvents(2)
                await watch.stop()
                try checkEqual(responses.count, 1, "expiry deletes in one response")
                try checkEqual(Set(responses[0].events.map(\.kv.modRevision)), [4], "one revision for every deleted key")
                try checkEqual(try await store.currentRevision(), 4, "revision after expiry")
            },
            Case("lease.keepAliveExtends", slow: true) { harness in
                let store = try await harness.makeStore()
                // TTL 6 with 2-second steps: 4 seconds of slack for a loaded machine.
                let lease = try await store.leaseGrant(ttl: 6, id: 0).id
                try await store.put("a", "1", lease: lease)
                try await harness.advance(seconds: 2)
                try checkEqual(try await store.leaseKeepAlive(id: lease).ttl, 6, "keep-alive before expiry")
                try await harness.advance(seconds: 2)
                try checkEqual(try await store.get("a")?.value, b("1"), "key alive after keep-alive")
                try await harness.advance(seconds: 5)
                try await eventually(harness, timeout: .seconds(10), "expiry after the keep-alive ran out") {
                    try await store.get("a") == nil
                }
            },
        ]
    }
}
