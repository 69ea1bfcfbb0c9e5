import FlotillaStore
import FlotillaTesting
import Testing

/// Behaviour specific to ``InMemoryStore``: leaks, determinism, clock-driven expiry.
@Suite struct InMemoryStoreTests {
    @Test func droppedWatchesLeaveNothingBehind() async throws {
        let store = InMemoryStore()
        for index in 0..<10_000 {
            let stream = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "k\(index % 7)")))
            if index % 2 == 0 {
                _ = stream.makeAsyncIterator()
            }
        }
        #expect(store.activeWatchCount == 0)
        _ = try await store.put(PutRequest(key: Bytes(utf8: "k1"), value: []))
    }

    @Test func cancelledWatchesAndTasksUnregister() async throws {
        let store = InMemoryStore()
        let cancelled = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "a")))
        #expect(store.activeWatchCount == 1)
        cancelled.cancel()
        #expect(store.activeWatchCount == 0)

        let consumed = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "a")))
        let task = Task { for try await _ in consumed {} }
        try await Task.sleep(for: .milliseconds(20))
        #expect(store.activeWatchCount == 1)
        task.cancel()
        _ = try? await task.value
        #expect(store.activeWatchCount == 0)
    }

    @Test func seededLeaseIDsAreDeterministic() async throws {
        func ids(seed: UInt64) async throws -> [Int64] {
            let store = InMemoryStore(clock: ManualLeaseClock(), seed: seed)
            var result: [Int64] = []
            for _ in 0..<5 { result.append(try await store.leaseGrant(ttl: 10, id: 0).id) }
            return result
        }
        let first = try await ids(seed: 42)
        #expect(first == (try await ids(seed: 42)))
        #expect(first != (try await ids(seed: 43)))
        #expect(first.allSatisfy { $0 > 0 })
        #expect(Set(first).count == first.count)
    }

    @Test func expireLeasesHookDeliversEventsWithoutARequest() async throws {
        let clock = ManualLeaseClock()
        let store = InMemoryStore(clock: clock, seed: 1)
        let lease = try await store.leaseGrant(ttl: 5, id: 0).id
        _ = try await store.put(PutRequest(key: Bytes(utf8: "a"), value: [], lease: lease))
        let stream = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "a")))
        clock.advance(by: .seconds(4))
        #expect(await store.leaseTimeToLive(id: lease, keys: false).ttl == 1)
        clock.advance(by: .seconds(1))
        await store.expireLeases()
        var iterator = stream.makeAsyncIterator()
        let response = try await iterator.next()
        #expect(response?.events.map(\.type) == [.delete])
        #expect(response?.header.revision == 3)
        stream.cancel()
    }

    @Test func statusReportsAPIVersionAndSize() async throws {
        let store = InMemoryStore()
        let empty = await store.status()
        _ = try await store.put(PutRequest(key: Bytes(utf8: "a"), value: Bytes(repeating: 1, count: 1000)))
        let status = await store.status()
        #expect(status.version == InMemoryStore.apiVersion)
        #expect(status.header.revision == 2)
        #expect(status.dbSize > empty.dbSize)
    }
}
