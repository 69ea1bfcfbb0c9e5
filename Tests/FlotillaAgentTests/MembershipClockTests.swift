@testable import FlotillaAgent
import FlotillaModel
import FlotillaStore
import FlotillaTesting
import Foundation
import Logging
import Synchronization
import Testing

/// Membership's decisions on a manual clock: renewals every third of the TTL, self-fencing
/// once renewals have failed for the TTL less the margin (and not before), recovery when the
/// same lease is renewed again, a new registration when the lease is found gone. Nothing
/// sleeps in real time; the store is the real in-memory one behind a switch that makes it
/// unreachable.
@Suite("Membership on a manual clock")
struct MembershipClockTests {
    /// TTL 3 s: renew every 1 s (the loop wakes every 500 ms), fence after 3 − 1.2 = 1.8 s.
    static let ttl: Int64 = 3

    @Test("renews on time, fences after TTL − margin without renewals, recovers, re-registers")
    func leaseDecisions() async throws {
        let store = UnreachableStore(InMemoryStore())
        let clock = ManualClock()
        let events = LeaseEvents()
        let seen = events.subscribe()
        let renewals = Mutex(0)
        let record = MachineRecord(id: "m1", hostname: "h", apiURL: "http://127.0.0.1:1", metadata: [:],
                                   capacity: Resources(cpu: 1000, memory: 1 << 30), startedAt: 0, version: "test")
        let membership = Membership(store: store, layout: StoreLayout(), record: record, settings: .init(ttl: Self.ttl),
                                    events: events, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                    clock: clock, leaseAliveUntil: { _ in renewals.withLock { $0 += 1 } })
        let log = EventLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await membership.run() }
            group.addTask { for await event in seen { log.events.withLock { $0.append(event) } } }
            func events() async -> [LeaseEvent] {
                for _ in 0..<1_000 { await Task.yield() } // let the collector catch up
                return log.events.withLock { $0 }
            }
            await Self.until { log.events.withLock { $0.count } == 1 }
            await Self.asleep(clock)
            guard case .registered(let lease, _) = await events().first else { throw TestError("no registration") }
            #expect(renewals.withLock { $0 } == 1, "the registration counts as the first renewal")

            // 2 s: the loop wakes every 500 ms and renews each time.
            for _ in 0..<4 { await Self.advance(clock, by: .milliseconds(500)) }
            #expect(renewals.withLock { $0 } == 5)

            // The store goes away: 1.5 s without a renewal is no lapse yet; 2 s (≥ 1.8 s) is.
            store.reachable.withLock { $0 = false }
            for _ in 0..<3 { await Self.advance(clock, by: .milliseconds(500)) }
            let early = await events()
            #expect(early.count == 1, "no lapse before TTL − margin: \(early)")
            await Self.advance(clock, by: .milliseconds(500))
            #expect(await events().last == .lapsed)
            #expect(renewals.withLock { $0 } == 5)

            // Back before the lease expired: the same lease renews; exclusive units may run again.
            store.reachable.withLock { $0 = true }
            await Self.advance(clock, by: .milliseconds(200))
            #expect(await events().last == .recovered)
            #expect(renewals.withLock { $0 } == 6)

            // The lease is gone (revoked, as at expiry): a lapse, then a new registration.
            _ = try await store.leaseRevoke(id: lease)
            for _ in 0..<10 {
                if case .registered = await events().last { break }
                await Self.advance(clock, by: .milliseconds(500))
            }
            let all = await events()
            let tail = Array(all.suffix(2))
            #expect(tail.first == .lapsed, "\(all)")
            guard case .registered(let renewed, _) = tail.last else { throw TestError("no new registration: \(all)") }
            #expect(renewed != lease)
            group.cancelAll()
        }
    }

    /// Yields (no real sleep) until `condition` holds.
    static func until(_ condition: () -> Bool) async {
        for _ in 0..<1_000_000 where !condition() { await Task.yield() }
    }

    /// Moves the clock and waits until the loop sleeps again.
    static func advance(_ clock: ManualClock, by duration: Duration) async {
        clock.advance(by: duration)
        await asleep(clock)
    }

    /// Waits (yielding, no real sleep) until the loop is asleep on the clock.
    static func asleep(_ clock: ManualClock) async {
        for _ in 0..<1_000_000 where clock.sleeping == 0 { await Task.yield() }
    }
}

/// The lease events seen so far.
final class EventLog: Sendable {
    let events = Mutex<[LeaseEvent]>([])
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A real store behind a switch: while `reachable` is false every call fails as an
/// unreachable etcd does (`unavailable`).
final class UnreachableStore: KeyValueStore {
    let reachable = Mutex(true)
    private let store: any KeyValueStore

    init(_ store: any KeyValueStore) { self.store = store }

    private func check() throws {
        guard reachable.withLock({ $0 }) else { throw StoreError.unavailable("test: the store is unreachable") }
    }

    func range(_ request: RangeRequest) async throws -> RangeResponse { try check(); return try await store.range(request) }
    func put(_ request: PutRequest) async throws -> PutResponse { try check(); return try await store.put(request) }
    func deleteRange(_ request: DeleteRangeRequest) async throws -> DeleteRangeResponse { try check(); return try await store.deleteRange(request) }
    func txn(_ request: TxnRequest) async throws -> TxnResponse { try check(); return try await store.txn(request) }
    func compact(_ request: CompactionRequest) async throws -> ResponseHeader { try check(); return try await store.compact(request) }
    func watch(_ request: WatchCreateRequest) async throws -> WatchStream { try check(); return try await store.watch(request) }
    func leaseGrant(ttl: Int64, id: Int64) async throws -> LeaseGrantResponse { try check(); return try await store.leaseGrant(ttl: ttl, id: id) }
    func leaseRevoke(id: Int64) async throws -> ResponseHeader { try check(); return try await store.leaseRevoke(id: id) }
    func leaseKeepAlive(id: Int64) async throws -> LeaseKeepAliveResponse { try check(); return try await store.leaseKeepAlive(id: id) }
    func leaseTimeToLive(id: Int64, keys: Bool) async throws -> LeaseTimeToLiveResponse {
        try check(); return try await store.leaseTimeToLive(id: id, keys: keys)
    }
    func leaseLeases() async throws -> LeaseLeasesResponse { try check(); return try await store.leaseLeases() }
    func status() async throws -> StoreStatus { try check(); return try await store.status() }
}
