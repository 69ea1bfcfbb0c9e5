import FlotillaModel

/// `GET /v1/stacks/{name}/history`: the stack's stored versions, oldest first.
public struct HistoryReport: Sendable, Hashable, Codable {
    /// One stored version.
    public struct Entry: Sendable, Hashable, Codable {
        /// Its number.
        public var version: Int
        /// When it was written (seconds since 1970).
        public var at: Double
        /// What wrote it (`apply`, `rollback to 2`, `automatic revert to 2 (…)`).
        public var origin: String
        /// What changed since the version before, in one line.
        public var change: String
        /// The spec revision it was written at.
        public var specRevision: Int64
        /// True for the version stored at `stacks/<name>` now.
        public var current: Bool
        public init(version: Int, at: Double, origin: String, change: String, specRevision: Int64, current: Bool) {
            self.version = version; self.at = at; self.origin = origin; self.change = change
            self.specRevision = specRevision; self.current = current
        }
    }

    /// The stack.
    public var stack: String
    /// The versions kept, oldest first.
    public var versions: [Entry]
    /// The stack's current or last rollout.
    public var rollout: RolloutRecord?
    public init(stack: String, versions: [Entry], rollout: RolloutRecord?) {
        self.stack = stack; self.versions = versions; self.rollout = rollout
    }
}

/// `POST /v1/stacks/{name}/rollback`: write an earlier version back as the newest one.
public struct RollbackRequest: Sendable, Hashable, Codable {
    /// The version to roll back to; nil: the newest earlier version whose spec differs from
    /// the current one.
    public var to: Int?
    public init(to: Int? = nil) { self.to = to }
}

/// `POST /v1/stacks/{name}/promote`: the canaries of the stack's rollout are good; roll out
/// the rest.
public struct PromoteResponse: Sendable, Hashable, Codable {
    /// The stack.
    public var stack: String
    /// The spec revision (and version) promoted.
    public var specRevision: Int64
    public var version: Int?
    /// False when it was already promoted.
    public var changed: Bool
    public init(stack: String, specRevision: Int64, version: Int?, changed: Bool) {
        self.stack = stack; self.specRevision = specRevision; self.version = version; self.changed = changed
    }
}
