/// A stack's current or last rollout, at `rollouts/<stack>`: the controller replacing the
/// instances that run an older version of the stack's units, by its ``UpdateStrategy``.
///
/// Only the leader writes it, in the same guarded commit as the assignments it describes, so
/// a new leader resumes the rollout where the old one left it (``updated`` and
/// ``healthySince`` are what it remembers). `apply` reads it to show progress and to say
/// how the rollout ended.
public struct RolloutRecord: Sendable, Hashable, Codable {
    /// Where a rollout is.
    public enum Phase: String, Sendable, Hashable, Codable {
        /// Replacing instances.
        case running
        /// The canaries are replaced and healthy; waiting for `flotilla promote`.
        case awaitingPromotion = "awaiting promotion"
        /// Every instance runs the new units and counted as healthy.
        case succeeded
        /// An instance did not become healthy (see ``message``); see ``revertedTo``.
        case failed
    }

    /// What a revert rollout remembers of the rollout it undoes.
    public struct Reverted: Sendable, Hashable, Codable {
        /// The failed rollout's spec revision and version.
        public var specRevision: Int64
        public var version: Int?
        /// Why it failed.
        public var message: String
        public init(specRevision: Int64, version: Int?, message: String) {
            self.specRevision = specRevision; self.version = version; self.message = message
        }
    }

    /// Record schema; readers ignore fields they don't know.
    public var schema: Int = 1
    /// The stack.
    public var stack: String
    /// The spec revision rolled out.
    public var specRevision: Int64
    /// Its version, when the stack record has one.
    public var version: Int?
    /// The version the replaced instances ran, when known (what an automatic revert writes back).
    public var fromVersion: Int?
    /// Where it is.
    public var phase: Phase
    /// When it started (seconds since 1970).
    public var startedAt: Double
    /// Instances this rollout replaced, with when their new assignment was decided.
    public var updated: [String: Double]
    /// Replaced instances first seen healthy, with when.
    public var healthySince: [String: Double]
    /// Replaced instances that were healthy for `min_healthy_time`: done, whatever happens to
    /// them later (a unit that fails afterwards is its restart policy's business).
    public var counted: Set<String> = []
    /// Instances running the new units / of those, counted healthy / wanted, at the last pass.
    public var progress: Progress
    /// Why it failed or waits, in words.
    public var message: String?
    /// The version an automatic revert wrote, when the rollout failed and reverted.
    public var revertedTo: Int?
    /// Set when this rollout undoes a failed one (an automatic revert).
    public var revertOf: Reverted?

    /// Counts shown as `updated/healthy/total`.
    public struct Progress: Sendable, Hashable, Codable {
        public var updated: Int
        public var healthy: Int
        public var total: Int
        public init(updated: Int = 0, healthy: Int = 0, total: Int = 0) {
            self.updated = updated; self.healthy = healthy; self.total = total
        }
    }

    /// A rollout that starts now.
    public init(stack: String, specRevision: Int64, version: Int?, fromVersion: Int?, startedAt: Double,
                revertOf: Reverted? = nil) {
        self.stack = stack; self.specRevision = specRevision; self.version = version; self.fromVersion = fromVersion
        self.phase = .running; self.startedAt = startedAt; self.updated = [:]; self.healthySince = [:]
        self.progress = Progress(); self.revertOf = revertOf
    }

    /// True while the controller still has work to do (running, or waiting for promotion).
    public var isActive: Bool { phase == .running || phase == .awaitingPromotion }

    /// `version 4` or `spec revision 812`, for messages.
    public var label: String { version.map { "version \($0)" } ?? "spec revision \(specRevision)" }
}
