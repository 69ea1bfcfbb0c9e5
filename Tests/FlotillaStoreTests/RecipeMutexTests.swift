import FlotillaStore
import Synchronization
import Testing

/// The store mutex on the in-memory and the SQLite store.
@Suite(.timeLimit(.minutes(2))) struct RecipeMutexTests {
    /// Workers, each with its own session, increment one counter key with a read and a
    /// separate write under the mutex; no increment is lost and never two hold it at once.
    @Test(arguments: RecipeBackend.allCases)
    func excludes(backend: RecipeBackend) async throws {
        let workers = 4, rounds = 5
        try await backend.withStore { store in
            try await store.put("/counter", "0")
            try await withSessions(workers, on: store) { sessions in
                let holders = HolderCount()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for session in sessions {
                        group.addTask {
                            let mutex = StoreMutex(session: session, prefix: "/locks/counter")
                            for _ in 0..<rounds {
                                try await mutex.withLock { owner in
                                    holders.enter()
                                    let current = Int(try await store.text("/counter") ?? "") ?? -1
                                    try await Task.sleep(for: .milliseconds(2))
                                    let write = TxnRequest(success: [.put(PutRequest(key: "/counter".bytes, value: "\(current + 1)".bytes))])
                                    _ = try await owner.commit(write, to: store)
                                    holders.leave()
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try await store.text("/counter") == "\(workers * rounds)")
                #expect(holders.most == 1)
                #expect(try await store.under("/locks/counter/").isEmpty)
            }
        }
    }

    @Test(arguments: RecipeBackend.allCases)
    func keyFormatQueueAndTryLock(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await withSessions(3, on: store) { sessions in
                let first = StoreMutex(session: sessions[0], prefix: "m"), second = StoreMutex(session: sessions[1], prefix: "m")
                let third = StoreMutex(session: sessions[2], prefix: "m")
                let owner = try await first.lock()
                let kv = try #require(try await store.under("m/").first)
                #expect(kv.key == "m/\(sessions[0].leaseHex)".bytes && kv.value.isEmpty && kv.lease == sessions[0].lease)
                #expect(owner == LeaderGuard(kv))
                #expect(await first.ownerGuard == owner)
                let acquired = RecipeFlag()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await second.lock()
                        acquired.set()
                    }
                    #expect(try await pollUntil { try await store.under("m/").count == 2 })
                    await #expect(throws: RecipeError.locked(prefix: "m")) { try await third.tryLock() }
                    #expect(try await store.under("m/").count == 2, "a failed tryLock removes its key")
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(!acquired.isSet, "the second session must wait while the first holds the mutex")
                    try await first.unlock()
                    try await group.waitForAll()
                }
                #expect(acquired.isSet)
                #expect(await first.ownerGuard == nil)
                #expect(try await store.under("m/").map(\.key) == ["m/\(sessions[1].leaseHex)".bytes])
                try await second.unlock()
                #expect(try await third.tryLock().key == "m/\(sessions[2].leaseHex)".bytes)
            }
        }
    }

    /// A waiter whose task is cancelled withdraws its key; the holder is unaffected.
    @Test(arguments: RecipeBackend.allCases)
    func cancelledWaiterWithdraws(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await withSessions(2, on: store) { sessions in
                let first = StoreMutex(session: sessions[0], prefix: "c"), second = StoreMutex(session: sessions[1], prefix: "c")
                let owner = try await first.lock()
                let outcome = RecipeRecord<String>()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do { try await second.lock(); outcome.append("acquired") } catch is CancellationError { outcome.append("cancelled") }
                    }
                    #expect(try await pollUntil { try await store.under("c/").count == 2 })
                    group.cancelAll()
                    try await group.waitForAll()
                }
                #expect(outcome.all == ["cancelled"])
                #expect(try await store.under("c/").map(\.key) == [owner.key])
                #expect(try await owner.holds(in: store))
            }
        }
    }

    /// Closing the holder's session (lease revoked) hands the mutex to the waiter.
    @Test(arguments: RecipeBackend.allCases)
    func closingHolderSessionReleases(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await withSessions(2, on: store) { sessions in
                let first = StoreMutex(session: sessions[0], prefix: "s"), second = StoreMutex(session: sessions[1], prefix: "s")
                let owner = try await first.lock()
                try await withThrowingTaskGroup(of: LeaderGuard.self) { group in
                    group.addTask { try await second.lock() }
                    #expect(try await pollUntil { try await store.under("s/").count == 2 })
                    try await sessions[0].close()
                    let next = try await group.next()
                    #expect(next?.key == "s/\(sessions[1].leaseHex)".bytes)
                }
                #expect(try await owner.holds(in: store) == false)
            }
        }
    }
}

/// How many workers are inside the mutex now, and the most there ever were at once.
private final class HolderCount: Sendable {
    private let state = Mutex((now: 0, most: 0))
    func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var most: Int { state.withLock { $0.most } }
}
