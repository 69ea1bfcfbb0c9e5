import Foundation
import Testing

/// The two store backends every scenario runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// Agent 1 serves the embedded store (SQLite, etcd v3 API); the others join it.
    case embedded
    /// Every agent is a client of a 3-member etcd 3.4 cluster started by the tests.
    case etcd

    var testDescription: String { rawValue }
}

/// The etcd cluster shared by the tests of a suite: started on first use, stopped when the
/// suite's scope ends (``SharedEtcdScope``). Each test uses its own key prefix on it.
actor SharedEtcd {
    @TaskLocal static var current: SharedEtcd?

    private var cluster: EtcdCluster?
    private var starting: Task<EtcdCluster, any Error>?

    /// The running cluster, started now if it is not yet.
    func get() async throws -> EtcdCluster {
        if let cluster { return cluster }
        if let starting { return try await starting.value }
        let task = Task { try await EtcdCluster.start() }
        starting = task
        defer { starting = nil }
        let started = try await task.value
        cluster = started
        return started
    }

    /// Stops the cluster if it was started.
    func stop() {
        cluster?.stop()
        cluster = nil
    }
}

/// Runs a whole suite inside one ``SharedEtcd`` and stops its cluster afterwards, also when
/// tests fail.
struct SharedEtcdScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let shared = SharedEtcd()
        let result = await Result { try await SharedEtcd.$current.withValue(shared) { try await function() } }
        await shared.stop()
        try result.get()
    }
}

extension Trait where Self == SharedEtcdScope {
    /// One etcd cluster for every test of the suite.
    static var sharedEtcdCluster: SharedEtcdScope { SharedEtcdScope() }
}
