import FlotillaStore
import Synchronization

/// A ``LeaseClock`` that moves only when told to, for lease-expiry tests.
public final class ManualLeaseClock: LeaseClock {
    private let instant: Mutex<ContinuousClock.Instant>

    /// Creates a clock reading `start` (default: the real clock's current instant).
    public init(start: ContinuousClock.Instant = .now) {
        instant = Mutex(start)
    }

    /// The current manual instant.
    public func now() -> ContinuousClock.Instant { instant.withLock { $0 } }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) {
        instant.withLock { $0 = $0 + duration }
    }
}
