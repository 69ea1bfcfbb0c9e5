import FlotillaStore
import Testing

/// Session lifecycle: keep-alive, close, loss reporting.
@Suite(.timeLimit(.minutes(2))) struct RecipeSessionTests {
    @Test(arguments: RecipeBackend.allCases)
    func closeStopsKeepAliveAndRevokes(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await Session.with(store: store, ttl: 30) { session in
                #expect(session.ttl == 30 && session.end == nil)
                try await store.put("/owned", "x", lease: session.lease)
                try await session.close()
                #expect(session.end == .closed)
                #expect(try await session.done == .closed)
                #expect(try await store.under("/owned").isEmpty)
                #expect(try await store.leaseTimeToLive(id: session.lease, keys: false).ttl == -1)
                try await session.close()
            }
        }
    }

    /// Leaving the scope closes the session: its keys go with the revoked lease.
    @Test(arguments: RecipeBackend.allCases)
    func leavingTheScopeCloses(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            let session = try await Session.with(store: store, ttl: 30) { session in
                try await store.put("/owned", "x", lease: session.lease)
                return session
            }
            #expect(session.end == .closed)
            #expect(try await store.under("/owned").isEmpty)
            #expect(try await store.leaseTimeToLive(id: session.lease, keys: false).ttl == -1)
        }
    }

    /// On real time (SQLite): a 3 s lease outlives several TTLs because the session renews it.
    @Test func keepAliveRenewsOnRealTime() async throws {
        try await RecipeBackend.sqlite.withStore { store in
            try await withSessions(1, on: store, ttl: 3) { sessions in
                try await store.put("/alive", "x", lease: sessions[0].lease)
                let before = sessions[0].leaseDeadline
                try await Task.sleep(for: .seconds(7))
                #expect(sessions[0].end == nil)
                #expect(sessions[0].leaseDeadline > before)
                #expect(try await store.under("/alive").count == 1)
                #expect(try await store.leaseTimeToLive(id: sessions[0].lease, keys: false).ttl > 0)
            }
        }
    }

    @Test(arguments: RecipeBackend.allCases)
    func revokedLeaseIsReported(backend: RecipeBackend) async throws {
        try await backend.withStore { store in
            try await Session.with(store: store, keepAliveInterval: .milliseconds(100)) { session in
                _ = try await store.leaseRevoke(id: session.lease)
                #expect(try await within(20, "session noticing the revoke") { try await session.done } == .leaseLost)
                try await session.close()
                #expect(session.end == .leaseLost)
            }
        }
    }

    /// A store that stops answering ends the session once the lease deadline passed.
    @Test func unreachableStoreEndsSessionAtDeadline() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            try await Session.with(store: store, ttl: 2) { session in
                await store.close()
                let end = try await within(30, "session giving up") { try await session.done }
                guard case .keepAliveFailed = end else {
                    Issue.record("expected keepAliveFailed, got \(end)")
                    return
                }
                #expect(session.leaseDeadline <= .now)
                await session.orphan()
            }
        }
    }

    @Test func waitingForTheEndIsCancellable() async throws {
        let store = InMemoryStore()
        try await Session.with(store: store) { session in
            let outcome = RecipeRecord<String>()
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do { _ = try await session.done; outcome.append("ended") } catch { outcome.append("cancelled") }
                }
                group.cancelAll()
            }
            #expect(outcome.all == ["cancelled"] && session.end == nil)
        }
    }

    @Test func adoptsAnExistingLease() async throws {
        let store = InMemoryStore()
        let lease = try await store.leaseGrant(ttl: 45, id: 0)
        try await Session.with(store: store, lease: lease.id) { session in
            #expect(session.lease == lease.id && session.ttl == 45)
        }
        await #expect(throws: RecipeError.sessionExpired(lease: lease.id)) { try await Session.with(store: store, lease: lease.id) { _ in } }
    }
}
