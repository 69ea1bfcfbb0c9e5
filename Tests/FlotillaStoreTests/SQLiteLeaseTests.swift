import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import Testing

@Suite("SQLite store leases")
struct SQLiteLeaseTests {
    @Test("expiry deletes every attached key in one revision")
    func expiryOneRevision() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            let lease = try await store.leaseGrant(ttl: 1, id: 0)
            #expect(lease.ttl == StoreLimits.minLeaseTTL)
            #expect(lease.id > 0)
            for key in ["l/a", "l/b", "l/c"] { try await store.put(key, "v", lease: lease.id) }
            try await store.put("l/free", "v")
            let before = try await store.status().header.revision
            // From the next revision: on a loaded machine the lease may expire before the watch exists.
            let stream = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "l/"), rangeEnd: KeyRange.prefixEnd(Bytes(utf8: "l/")),
                                                                  startRevision: before + 1))
            var iterator = stream.makeAsyncIterator()
            let expired = try #require(try await iterator.next())
            stream.cancel()
            #expect(expired.header.revision == before + 1)
            #expect(expired.events.map(\.type) == [.delete, .delete, .delete])
            #expect(expired.events.map(\.kv.modRevision) == [before + 1, before + 1, before + 1])
            #expect(try await store.status().header.revision == before + 1)
            #expect(try await store.range(.prefix(Bytes(utf8: "l/"))).kvs.map(\.key.utf8String) == ["l/free"])
            #expect(try await store.leaseKeepAlive(id: lease.id).ttl == 0)
            await #expect(throws: StoreError.leaseNotFound) { _ = try await store.leaseRevoke(id: lease.id) }
        }
    }

    @Test("keep-alive postpones expiry; revoke deletes keys at once")
    func keepAliveAndRevoke() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            // TTL 5 renewed every second: 4 seconds of slack for a loaded machine, 3 s in all.
            let lease = try await store.leaseGrant(ttl: 5, id: 42)
            await #expect(throws: StoreError.leaseExists) { _ = try await store.leaseGrant(ttl: 5, id: 42) }
            try await store.put("k", "v", lease: 42)
            for _ in 0..<3 {
                try await Task.sleep(for: .seconds(1))
                #expect(try await store.leaseKeepAlive(id: lease.id).ttl == 5)
            }
            #expect(try await store.text("k") == "v")
            let revoked = try await store.leaseRevoke(id: 42)
            #expect(revoked.revision == 3)
            #expect(try await store.text("k") == nil)
        }
    }
}
