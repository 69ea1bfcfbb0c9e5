import FlotillaStore

/// What the conformance suite needs from a backend: fresh stores and a way to let lease time
/// pass. Each conformance case makes its own store(s) and uses no other state.
public protocol StoreHarness: Sendable {
    /// A fresh, empty store (revision 1, no leases, no watches).
    func makeStore() async throws -> any KeyValueStore
    /// Lets `seconds` of lease time pass for stores made by this harness: moves a manual
    /// clock, or sleeps when the backend runs on real time.
    func advance(seconds: Int64) async throws
    /// True when ``advance(seconds:)`` is instant (a manual clock). Cases that need time
    /// are marked slow; a runner may skip them when this is false.
    var supportsManualTime: Bool { get }
}

/// A harness over a factory closure for backends that run on real time: ``advance(seconds:)``
/// sleeps. Use it for the SQLite store, the etcd client against a real etcd, and so on.
public struct RealTimeStoreHarness: StoreHarness {
    private let factory: @Sendable () async throws -> any KeyValueStore

    /// Creates a harness; `factory` must return a fresh, empty store each call.
    public init(_ factory: @escaping @Sendable () async throws -> any KeyValueStore) {
        self.factory = factory
    }

    /// Calls the factory.
    public func makeStore() async throws -> any KeyValueStore { try await factory() }

    /// Sleeps for `seconds`.
    public func advance(seconds: Int64) async throws { try await Task.sleep(for: .seconds(seconds)) }

    /// Always false.
    public var supportsManualTime: Bool { false }
}

/// The harness for ``InMemoryStore``: every store it makes shares one ``ManualLeaseClock``,
/// and lease IDs are seeded. Make one harness per case.
public struct InMemoryStoreHarness: StoreHarness {
    /// The clock of every store this harness makes.
    public let clock = ManualLeaseClock()
    private let seed: UInt64?

    /// Creates a harness; `seed` makes lease IDs deterministic.
    public init(seed: UInt64? = 1) { self.seed = seed }

    /// A fresh ``InMemoryStore`` on the manual clock.
    public func makeStore() async throws -> any KeyValueStore { InMemoryStore(clock: clock, seed: seed) }

    /// Moves the manual clock.
    public func advance(seconds: Int64) async throws { clock.advance(by: .seconds(seconds)) }

    /// Always true.
    public var supportsManualTime: Bool { true }
}
