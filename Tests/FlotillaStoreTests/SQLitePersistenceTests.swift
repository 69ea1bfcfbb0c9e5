import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import Testing

@Suite("SQLite store persistence")
struct SQLitePersistenceTests {
    @Test("revision, values, versions, compaction and leases survive close and reopen")
    func reopen() async throws {
        try await withScratch { scratch in
            let directory = scratch.directory()
            let first = try scratch.open(directory)
            #expect(try await first.status().header.revision == 1)
            try await first.put("a", "1")
            try await first.put("a", "2")
            try await first.put("b", "x")
            let lease = try await first.leaseGrant(ttl: 6, id: 0)
            let leased = try await first.put("owned", "yes", lease: lease.id)
            _ = try await first.compact(CompactionRequest(revision: 3, physical: true))
            await first.close()
            await #expect(throws: StoreError.self) { try await first.put("late", "no") }

            let second = try scratch.open(directory)
            let a = try #require(try await second.range(RangeRequest(key: Bytes(utf8: "a"))).kvs.first)
            #expect(a.value.utf8String == "2")
            #expect(a.version == 2)
            #expect(a.createRevision == 2)
            #expect(try await second.text("b") == "x")
            #expect(try await second.status().compactRevision == 3)
            await #expect(throws: StoreError.compacted(compactRevision: 3)) {
                _ = try await second.range(RangeRequest(key: Bytes(utf8: "a"), revision: 2))
            }
            #expect(try await second.text("a", revision: 3) == "2")
            let next = try await second.put("c", "new")
            #expect(next == leased + 1)
            let ttl = try await second.leaseTimeToLive(id: lease.id, keys: true)
            #expect(ttl.grantedTTL == 6)
            #expect(ttl.keys == [Bytes(utf8: "owned")])
            #expect(try await second.leaseLeases().leases == [lease.id])

            // The lease keeps its wall-clock deadline across the restart and expires on time.
            try await waitUntil(seconds: 15) { try await second.text("owned") == nil }
            #expect(try await second.text("owned") == nil)
            #expect(try await second.leaseTimeToLive(id: lease.id, keys: false).ttl == -1)
            #expect(try await second.status().header.revision == next + 1)
        }
    }

    @Test("a lease that expired while the store was closed is revoked at open")
    func expiredWhileClosed() async throws {
        try await withScratch { scratch in
            let directory = scratch.directory()
            let first = try scratch.open(directory)
            let lease = try await first.leaseGrant(ttl: 2, id: 77)
            try await first.put("k", "v", lease: lease.id)
            await first.close()
            try await Task.sleep(for: .milliseconds(2_200))
            let second = try scratch.open(directory)
            try await waitUntil(seconds: 10) { try await second.text("k") == nil }
            #expect(try await second.text("k") == nil)
            #expect(try await second.leaseLeases().leases.isEmpty)
        }
    }
}

/// Polls `condition` every 100 ms until it holds or `seconds` pass (time-based tests must not
/// depend on how loaded the machine is).
func waitUntil(seconds: Int, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while try await !condition(), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(100))
    }
}
