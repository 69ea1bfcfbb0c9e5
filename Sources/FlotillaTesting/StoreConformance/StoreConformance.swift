import FlotillaStore

/// The store conformance suite: etcd v3.4 semantics (reference `etcd-v3-api.md` §3) as
/// named, independent cases that any ``KeyValueStore`` backend must pass.
///
/// Running it for a backend, with Swift Testing:
/// ```swift
/// @Test(arguments: StoreConformance.caseNames(includeSlow: false))
/// func conformance(_ name: String) async throws {
///     try await StoreConformance.run(name, with: RealTimeStoreHarness { try await makeMyStore() })
/// }
/// ```
/// Each case makes its own store(s) from the harness and throws ``ConformanceFailure`` (or
/// the backend's unexpected error) on a mismatch.
public struct StoreConformance: Sendable {
    /// One named case.
    public struct Case: Sendable {
        /// Unique name, `area.behaviour`.
        public var name: String
        /// True when the case waits for lease time to pass (seconds on a real-time harness).
        public var isSlow: Bool
        /// The test body.
        public var body: @Sendable (any StoreHarness) async throws -> Void

        public init(_ name: String, slow: Bool = false, _ body: @escaping @Sendable (any StoreHarness) async throws -> Void) {
            self.name = name
            self.isSlow = slow
            self.body = body
        }
    }

    /// Every case, in a stable order.
    public static var cases: [Case] {
        revisionCases + keyCases + rangeCases + putDeleteCases + txnCases + compactionCases + watchCases + leaseCases
    }

    /// The names of every case; slow ones only when `includeSlow`.
    public static func caseNames(includeSlow: Bool = true) -> [String] {
        cases.filter { includeSlow || !$0.isSlow }.map(\.name)
    }

    /// Runs the case called `name` against `harness`.
    public static func run(_ name: String, with harness: any StoreHarness) async throws {
        guard let found = cases.first(where: { $0.name == name }) else {
            throw ConformanceFailure("no conformance case named \(name)")
        }
        try await found.body(harness)
    }

    /// Runs every case (fresh harness from `makeHarness` each) and returns the failures by
    /// case name; empty when the backend conforms.
    public static func runAll(includeSlow: Bool = true, makeHarness: () -> any StoreHarness) async -> [String: any Error] {
        var failures: [String: any Error] = [:]
        for testCase in cases where includeSlow || !testCase.isSlow {
            do { try await testCase.body(makeHarness()) } catch { failures[testCase.name] = error }
        }
        return failures
    }
}
