import FlotillaStore
import FlotillaTesting
import Synchronization
import Testing

/// Leader election on the in-memory and the SQLite store.
@Suite(.timeLimit(.minutes(2))) struct RecipeElectionTests {
    @Test(arguments: RecipeBackend.allCases)
    func lowestCreateRevisionLeadsAndResignHandsOver(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await withSessions(2, on: store) { sessions in
                let first = Election(session: sessions[0], prefix: "e"), second = Election(session: sessions[1], prefix: "e")
                let firstGuard = try await first.campaign("a".bytes)
                #expect(firstGuard.key == "e/\(sessions[0].leaseHex)".bytes)
                let won = RecipeFlag()
                try await withThrowingTaskGroup(of: LeaderGuard.self) { group in
                    group.addTask {
                        let leadership = try await second.campaign("b".bytes)
                        won.set()
                        return leadership
                    }
                    #expect(try await pollUntil { try await store.under("e/").count == 2 })
                    let leader = try #require(try await second.leader())
                    #expect(leader.value == "a".bytes && leader.createRevision == firstGuard.createRevision)
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(!won.isSet, "the second candidate must wait while the first leads")
                    try await first.resign()
                    let secondGuard = try await group.next()
                    #expect(secondGuard?.key == "e/\(sessions[1].leaseHex)".bytes)
                    #expect((secondGuard?.createRevision ?? 0) > firstGuard.createRevision)
                }
                #expect(try await first.leader()?.value == "b".bytes)
                #expect(try await store.under("e/").count == 1)
            }
        }
    }

    @Test(arguments: RecipeBackend.allCases)
    func revokedLeaderLeaseHandsOverAndDeposesTheLeader(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await withSessions(2, on: store, keepAliveInterval: .milliseconds(100)) { sessions in
                let first = Election(session: sessions[0], prefix: "e"), second = Election(session: sessions[1], prefix: "e")
                let firstGuard = try await first.campaign("a".bytes)
                try await withThrowingTaskGroup(of: LeaderGuard.self) { group in
                    group.addTask { try await second.campaign("b".bytes) }
                    #expect(try await pollUntil { try await store.under("e/").count == 2 })
                    _ = try await store.leaseRevoke(id: sessions[0].lease)
                    _ = try await group.next()
                }
                #expect(try await second.leader()?.value == "b".bytes)
                let end = try await within(20, "first session noticing its lease is gone") { try await sessions[0].done }
                #expect(end == .leaseLost)
                await #expect(throws: RecipeError.notLeader(key: "e/\(sessions[0].leaseHex)")) { try await first.proclaim("late".bytes) }
                await #expect(throws: RecipeError.self) {
                    _ = try await firstGuard.commit(TxnRequest(success: [.put(PutRequest(key: "/x".bytes, value: "1".bytes))]), to: store)
                }
                #expect(try await store.under("/x").isEmpty)
            }
        }
    }

    /// Lease expiry (not revoke) on the in-memory store's manual clock.
    @Test func expiredLeaderLeaseHandsOver() async throws {
        let clock = ManualLeaseClock()
        let store = InMemoryStore(clock: clock, seed: 5)
        try await withSessions(2, on: store, ttl: 10) { sessions in
            let first = Election(session: sessions[0], prefix: "e"), second = Election(session: sessions[1], prefix: "e")
            try await first.campaign("a".bytes)
            await sessions[0].orphan()
            try await withThrowingTaskGroup(of: LeaderGuard.self) { group in
                group.addTask { try await second.campaign("b".bytes) }
                #expect(try await pollUntil { try await store.under("e/").count == 2 })
                clock.advance(by: .seconds(6))
                _ = await store.leaseKeepAlive(id: sessions[1].lease)
                clock.advance(by: .seconds(5))
                await store.expireLeases()
                _ = try await group.next()
            }
            #expect(try await first.leader()?.value == "b".bytes)
        }
    }

    @Test(arguments: RecipeBackend.allCases)
    func proclaimAndObserve(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await withSessions(3, on: store) { sessions in
                let first = Election(session: sessions[0], prefix: "o"), second = Election(session: sessions[1], prefix: "o")
                let watcher = Election(session: sessions[2], prefix: "o")
                let seen = RecipeRecord<KeyValue>(), won = RecipeFlag()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await leader in watcher.observe() { seen.append(leader) }
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    #expect(seen.all.isEmpty, "no leader yet: observe waits")
                    let firstGuard = try await first.campaign("a1".bytes)
                    #expect(try await pollUntil { seen.all.count == 1 })
                    #expect(seen.all.first?.value == "a1".bytes && seen.all.first?.createRevision == firstGuard.createRevision)
                    try await first.proclaim("a2".bytes)
                    #expect(try await pollUntil { seen.all.count == 2 })
                    #expect(try await first.leader()?.value == "a2".bytes)
                    group.addTask {
                        _ = try await second.campaign("b1".bytes)
                        won.set()
                    }
                    #expect(try await pollUntil { try await store.under("o/").count == 2 })
                    try await first.resign()
                    #expect(try await pollUntil { won.isSet && seen.all.count == 3 })
                    try await second.proclaim("b2".bytes)
                    #expect(try await pollUntil { seen.all.count == 4 })
                    group.cancelAll()
                }
                #expect(seen.all.map(\.value.utf8String) == ["a1", "a2", "b1", "b2"])
                #expect(seen.all.map(\.key) == ["o/\(sessions[0].leaseHex)", "o/\(sessions[0].leaseHex)",
                                                 "o/\(sessions[1].leaseHex)", "o/\(sessions[1].leaseHex)"].map(\.bytes))
            }
        }
    }

    @Test(arguments: RecipeBackend.allCases)
    func deposedLeaderCannotWrite(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await withSessions(2, on: store) { sessions in
                let first = Election(session: sessions[0], prefix: "g"), second = Election(session: sessions[1], prefix: "g")
                let old = try await first.campaign("a".bytes)
                let write = TxnRequest(success: [.put(PutRequest(key: "/state".bytes, value: "by-a".bytes))])
                #expect(try await old.commit(write, to: store).succeeded)
                // The request's own compares keep their meaning under the guard.
                let ownCompare = TxnRequest(compare: [Compare(key: "/state".bytes, .value("other".bytes), .equal)], success: write.success)
                #expect(try await old.commit(ownCompare, to: store).succeeded == false)
                try await first.resign()
                let newer = try await second.campaign("b".bytes)
                try await second.resign()
                let again = try await first.campaign("a".bytes)
                #expect(again.key == old.key && again.createRevision > newer.createRevision)
                let stale = TxnRequest(success: [.put(PutRequest(key: "/state".bytes, value: "stale".bytes))])
                await #expect(throws: RecipeError.leadershipLost(key: "g/\(sessions[0].leaseHex)", createRevision: old.createRevision)) {
                    _ = try await old.commit(stale, to: store)
                }
                #expect(try await store.text("/state") == "by-a")
                #expect(try await store.txn(old.guarding(stale)).succeeded == false)
                #expect(try await again.commit(stale, to: store).succeeded)
                #expect(try await store.text("/state") == "stale")
            }
        }
    }

    /// Campaigning again with the same session takes over its own key and updates the value.
    @Test(arguments: RecipeBackend.allCases)
    func campaignAgainKeepsKeyAndUpdatesValue(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await withSessions(1, on: store) { sessions in
                let election = Election(session: sessions[0], prefix: "r")
                let first = try await election.campaign("v1".bytes)
                let second = try await election.campaign("v2".bytes)
                #expect(first == second)
                let leader = try #require(try await election.leader())
                #expect(leader.value == "v2".bytes && leader.lease == sessions[0].lease)
            }
        }
    }
}

/// Values appended by one task and read by another.
final class RecipeRecord<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}
