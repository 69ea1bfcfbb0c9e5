/// Where a store's lease expiry reads the time. Stores take one as an argument so tests can
/// drive lease expiry with a manual clock (`FlotillaTesting.ManualLeaseClock`).
public protocol LeaseClock: Sendable {
    /// The current instant; must never go backwards.
    func now() -> ContinuousClock.Instant
}

/// The real monotonic clock.
public struct SystemLeaseClock: LeaseClock {
    /// Creates the clock.
    public init() {}

    /// `ContinuousClock.now`.
    public func now() -> ContinuousClock.Instant { ContinuousClock.now }
}

/// A small seeded random source (SplitMix64) for lease IDs, so tests get the same IDs for
/// the same seed.
public struct SeededLeaseIDSource: Sendable {
    private var state: UInt64

    /// Creates a source; equal seeds give equal sequences.
    public init(seed: UInt64) { state = seed }

    /// The next random positive Int64 (never 0).
    public mutating func next() -> Int64 {
        while true {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            mixed ^= mixed >> 31
            let id = Int64(bitPattern: mixed >> 1)
            if id > 0 { return id }
        }
    }
}
