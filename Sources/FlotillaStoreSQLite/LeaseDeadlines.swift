import Foundation
import Synchronization

/// An in-memory mirror of the `lease` table's deadlines, for the expiry task. The table stays
/// the source of truth: expiry re-checks the deadline inside the writer's transaction.
final class LeaseDeadlines: Sendable {
    private let deadlines: Mutex<[Int64: Int64]>

    /// The mirror of `records`.
    init(_ records: [LeaseRecord]) {
        deadlines = Mutex(Dictionary(records.map { ($0.id, $0.expiresAt) }, uniquingKeysWith: max))
    }

    /// Sets a lease's deadline (ms since 1970).
    func set(_ id: Int64, expiresAt: Int64) { deadlines.withLock { $0[id] = expiresAt } }

    /// Forgets a lease.
    func remove(_ id: Int64) { deadlines.withLock { $0[id] = nil } }

    /// Leases whose deadline is at or before `now`, earliest first.
    func due(_ now: Int64) -> [Int64] {
        deadlines.withLock { $0.filter { $0.value <= now }.sorted { $0.value < $1.value }.map(\.key) }
    }

    /// The earliest deadline.
    var next: Int64? { deadlines.withLock { $0.values.min() } }

    /// Wall-clock milliseconds since 1970.
    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

extension SQLiteStore {
    /// The expiry loop: revokes due leases (each in its own revision, deleting its keys), then
    /// sleeps until the next deadline, at most ``expiryTick`` so new grants are noticed well
    /// before the shortest TTL (2 s) runs out.
    func runLeaseExpiry() async {
        while !Task.isCancelled {
            let now = LeaseDeadlines.now()
            for id in deadlines.due(now) {
                do {
                    switch try await writer.submit(.leaseExpire(id: id, now: now)) {
                    case .header: deadlines.remove(id)
                    default:
                        // Renewed meanwhile, or gone: take the table's word.
                        let record = try await pool.read { db in try LeaseTable.record(db, id: id) }
                        if let record { deadlines.set(id, expiresAt: record.expiresAt) } else { deadlines.remove(id) }
                    }
                } catch {
                    if Task.isCancelled { return }
                }
            }
            let wait = min(max((deadlines.next ?? Int64.max) - LeaseDeadlines.now(), 5), Self.expiryTick)
            try? await Task.sleep(for: .milliseconds(wait))
        }
    }

    /// Longest sleep of the expiry loop, in milliseconds.
    static let expiryTick: Int64 = 250
}
