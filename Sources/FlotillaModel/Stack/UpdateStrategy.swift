/// How a change to a stack's units reaches its running instances (the YAML `update:` block,
/// Nomad's `update` stanza in spirit).
///
/// The controller replaces at most ``maxParallel`` outdated instances at a time. A replaced
/// instance counts once every unit of its new run is running (and passes its health check,
/// when it has one) for ``minHealthyTime`` seconds; one that is not there within
/// ``healthyDeadline`` seconds of its replacement, or whose unit fails or crash-loops, fails
/// the rollout, which then writes the previous version back when ``autoRevert`` is set.
/// With ``canary`` above zero, the first `canary` instances are replaced and the rollout
/// waits for `flotilla promote STACK` before it replaces the rest.
///
/// A stack without an `update:` block rolls with these defaults.
public struct UpdateStrategy: Sendable, Hashable, Codable {
    /// Outdated instances replaced at a time (at least 1).
    public var maxParallel: Int
    /// Seconds a replaced instance must stay healthy before the next one is replaced.
    public var minHealthyTime: Double
    /// Seconds a replaced instance has to become healthy for `minHealthyTime` before the
    /// rollout fails.
    public var healthyDeadline: Double
    /// Whether a failed rollout writes the stack's previous version back (and rolls to it by
    /// the same strategy).
    public var autoRevert: Bool
    /// Instances replaced before the rollout waits for `flotilla promote`; 0: no canaries.
    public var canary: Int

    /// Defaults used when a key (or the whole block) is absent.
    public static let defaultMaxParallel = 1
    public static let defaultMinHealthyTime = 10.0
    public static let defaultHealthyDeadline = 300.0

    /// A strategy; every argument defaults as in the stack format.
    public init(maxParallel: Int = defaultMaxParallel, minHealthyTime: Double = defaultMinHealthyTime,
                healthyDeadline: Double = defaultHealthyDeadline, autoRevert: Bool = true, canary: Int = 0) {
        self.maxParallel = maxParallel; self.minHealthyTime = minHealthyTime; self.healthyDeadline = healthyDeadline
        self.autoRevert = autoRevert; self.canary = canary
    }
}
