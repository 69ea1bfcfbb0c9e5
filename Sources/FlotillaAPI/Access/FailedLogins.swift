import Foundation
import Synchronization

/// Failed authentications per source address, for rate limiting: after ``limit`` failures
/// within ``window`` an address is refused (429) until its oldest failure leaves the window,
/// so guessing tokens is slow while other clients are served as usual.
final class FailedLogins: Sendable {
    /// Failures allowed per address within ``window``.
    let limit: Int
    /// Seconds a failure counts.
    let window: Double
    private let failures = Mutex<[String: [Double]]>([:])

    init(limit: Int = 20, window: Double = 60) { self.limit = limit; self.window = window }

    /// Seconds until `address` may try again, or nil when it may now.
    func blocked(_ address: String, now: Double) -> Double? {
        failures.withLock { table in
            let recent = (table[address] ?? []).filter { $0 > now - window }
            table[address] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return max(1, oldest + window - now)
        }
    }

    /// Counts a failure of `address` at `now`.
    func record(_ address: String, now: Double) {
        failures.withLock { table in
            var recent = (table[address] ?? []).filter { $0 > now - window }
            recent.append(now)
            table[address] = recent
            // Bound the table: forget the addresses whose failures all left the window.
            if table.count > 10_000 { table = table.filter { $0.value.contains { $0 > now - window } } }
        }
    }
}
