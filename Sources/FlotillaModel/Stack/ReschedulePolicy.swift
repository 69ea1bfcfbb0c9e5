/// When an instance whose units keep failing moves to another machine (the YAML
/// `reschedule:` block, Nomad's `reschedule` in spirit).
///
/// An instance fails on its machine when a unit of its current run ends `failed` (no restart
/// left) or has restarted ``attempts`` times. The controller then moves it to a machine it has
/// not failed on within ``interval``, after a delay: ``delay`` for the first move within the
/// interval, doubling with every further one, at most ``maxDelay``. A stack without the block
/// is restarted on its machine by its units' `restart` policy and never moved for failing.
public struct ReschedulePolicy: Sendable, Hashable, Codable {
    /// Failures (restarts, or a final failure) on one machine before the instance moves.
    public var attempts: Int
    /// Seconds moves are remembered: the machines an instance failed on within it are
    /// avoided, and its moves within it set the delay.
    public var interval: Double
    /// Seconds before the first move.
    public var delay: Double
    /// Upper bound of the doubled delay, seconds.
    public var maxDelay: Double

    public static let defaultAttempts = 3
    public static let defaultInterval = 3600.0
    public static let defaultDelay = 30.0
    public static let defaultMaxDelay = 3600.0

    /// A policy; every argument defaults as in the stack format.
    public init(attempts: Int = defaultAttempts, interval: Double = defaultInterval, delay: Double = defaultDelay,
                maxDelay: Double = defaultMaxDelay) {
        self.attempts = attempts; self.interval = interval; self.delay = delay; self.maxDelay = maxDelay
    }

    /// The delay before a move when the instance already moved `moves` times within the interval.
    public func delay(afterMoves moves: Int) -> Double {
        min(maxDelay, delay * Double(1 << min(max(0, moves), 30)))
    }
}
