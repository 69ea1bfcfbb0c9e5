/// How many instances of a stack may be unavailable at once while machines are drained (the
/// YAML `disruption:` block, Kubernetes' PodDisruptionBudget in spirit).
///
/// An instance is unavailable when it is not placed, or when a unit of its current run is not
/// running (or not healthy, when it has a check). A drain moves (or, for an exclusive
/// instance, stops) an instance of the stack only while fewer than ``maxUnavailable`` are
/// unavailable; the others wait on the draining machine until the moved ones run.
public struct DisruptionBudget: Sendable, Hashable, Codable {
    /// Instances that may be unavailable at once (at least 1).
    public var maxUnavailable: Int

    public init(maxUnavailable: Int = 1) { self.maxUnavailable = maxUnavailable }
}
