import FlotillaEtcd
import FlotillaStore
import FlotillaTesting
import Foundation
import Testing

/// Fresh real etcd 3.4 processes for the conformance suite: one per store, stopped by
/// ``shutdown()``. Time is real (lease cases sleep).
final class RealEtcdHarness: StoreHarness, @unchecked Sendable {
    private let lock = NSLock()
    private var started: [(RealEtcd, EtcdStore)] = []

    func makeStore() async throws -> any KeyValueStore {
        let etcd = try RealEtcd.start()
        let client = try EtcdStore(endpoints: ["127.0.0.1:\(etcd.clientPort)"])
        lock.withLock { started.append((etcd, client)) }
        // Wait until etcd answers (it needs a moment to elect itself leader).
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            do {
                _ = try await client.status()
                return client
            } catch where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func advance(seconds: Int64) async throws { try await Task.sleep(for: .seconds(seconds)) }

    var supportsManualTime: Bool { false }

    /// Stops every client and etcd this harness started.
    func shutdown() async {
        let all = lock.withLock { defer { started = [] }; return started }
        for (etcd, client) in all {
            await client.close()
            etcd.stop()
        }
    }
}

/// The store conformance suite against a real etcd 3.4 (the reference the other backends must
/// match). Serialized: each case starts its own etcd. Skipped when etcd is not installed.
@Suite(.serialized, .enabled(if: onPath("etcd"), "etcd is not installed (apt-get install etcd-server)"))
struct EtcdRealConformanceTests {
    @Test(arguments: StoreConformance.caseNames())
    func conformance(_ name: String) async throws {
        let harness = RealEtcdHarness()
        do {
            try await StoreConformance.run(name, with: harness)
            await harness.shutdown()
        } catch {
            await harness.shutdown()
            throw error
        }
    }
}
