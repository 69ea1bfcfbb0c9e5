import FlotillaEtcd
import FlotillaStore
import FlotillaTesting
import Foundation
import Testing

/// Fresh real etcd 3.4 processes for the conformance suite: one per store (taken from
/// ``EtcdSpares`` when the suite keeps some), stopped by ``shutdown()``. Time is real (lease
/// cases sleep).
final class RealEtcdHarness: StoreHarness, @unchecked Sendable {
    private let lock = NSLock()
    private var started: [(RealEtcd, EtcdStore)] = []

    func makeStore() async throws -> any KeyValueStore {
        for _ in 0..<3 {
            let etcd = try EtcdSpares.current?.take() ?? RealEtcd.start(checkingPort: false)
            let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(etcd.clientPort)"])
            lock.withLock { started.append((etcd, client)) }
            // Wait until etcd answers a write (a fresh member needs about a second to elect
            // itself leader); one that exited lost its port between choosing and binding:
            // start another.
            let deadline = ContinuousClock.now + .seconds(20)
            while etcd.process.isRunning {
                do {
                    _ = try await client.leaseRevoke(id: 1)
                } catch let error as StoreError where error == .leaseNotFound {
                    return client
                } catch where ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
        throw StoreError.unavailable("three etcd processes in a row exited while starting")
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
/// match). Serialized: each case has its own etcd, started two cases ahead. Skipped when etcd is not installed.
@Suite(.serialized, .enabled(if: onPath("etcd"), "etcd is not installed (apt-get install etcd-server)"), EtcdSpares.Scope())
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

/// Real etcd processes started ahead of the conformance cases that take them: a fresh member
/// needs about a second to elect itself leader, which a spare does while the cases before
/// it run. Lives for one suite run (``Scope``), which stops the spares left over.
final class EtcdSpares: @unchecked Sendable {
    /// The suite's spares while it runs.
    @TaskLocal static var current: EtcdSpares?

    /// How many are kept started.
    private let depth = 2
    private let lock = NSLock()
    private var ready: [RealEtcd] = []

    /// A started etcd (maybe still electing itself); starts the one that replaces it.
    func take() throws -> RealEtcd {
        let spare = lock.withLock { ready.isEmpty ? nil : ready.removeFirst() }
        try fill()
        return try spare ?? RealEtcd.start(checkingPort: false)
    }

    /// Starts spares until there are ``depth``.
    func fill() throws {
        try lock.withLock {
            while ready.count < depth { ready.append(try RealEtcd.start(checkingPort: false)) }
        }
    }

    /// Stops every spare not taken.
    func stop() {
        for etcd in lock.withLock({ defer { ready = [] }; return ready }) { etcd.stop() }
    }

    /// Runs a suite with spares, and stops them after it.
    struct Scope: SuiteTrait, TestScoping {
        var isRecursive: Bool { false }

        func provideScope(for test: Test, testCase: Test.Case?,
                          performing function: @Sendable () async throws -> Void) async throws {
            let spares = EtcdSpares()
            defer { spares.stop() }
            try spares.fill()
            try await EtcdSpares.$current.withValue(spares) { try await function() }
        }
    }
}
