/// The moves of one instance for failing (``ReschedulePolicy``), at `reschedules/<instance>`,
/// written by the leader with the move itself so a new leader keeps avoiding the machines and
/// keeps the back-off.
public struct RescheduleRecord: Sendable, Hashable, Codable {
    /// One move.
    public struct Move: Sendable, Hashable, Codable {
        /// The machine it failed on and left.
        public var from: String
        /// When it was moved (seconds since 1970).
        public var at: Double
        /// What failed, in words.
        public var reason: String
        public init(from: String, at: Double, reason: String) { self.from = from; self.at = at; self.reason = reason }
    }

    /// Record schema; readers ignore fields they don't know.
    public var schema: Int = 1
    /// The instance.
    public var instance: String
    /// Its stack.
    public var stack: String
    /// Its moves, oldest first (those older than the policy's interval are dropped).
    public var moves: [Move]
    /// Since when it fails on its current machine (the move is due a delay after this);
    /// nil while it does not.
    public var failing: Failing?

    /// An instance failing on a machine, first seen at ``since``.
    public struct Failing: Sendable, Hashable, Codable {
        public var machine: String
        public var since: Double
        public init(machine: String, since: Double) { self.machine = machine; self.since = since }
    }

    public init(instance: String, stack: String, moves: [Move] = []) {
        self.instance = instance; self.stack = stack; self.moves = moves
    }
}
