/// What happens to a stack's instance on a machine that lost its lease (the YAML
/// `disconnect:` block, Nomad's `disconnect { stop_after }`).
///
/// Without it, the non-exclusive units of an instance whose agent died, froze or was cut off
/// from the store keep running while the controller starts the instance elsewhere: two copies
/// until the agent is back. With ``stopAfter``, they are killed (SIGKILL, like fencing) once the
/// agent has been unable to renew its lease for that long — by the agent itself, or, when the
/// agent is dead or frozen, by its fence watchdog — and they stay down until the lease is
/// renewed or the machine registers again and is still assigned the instance. Exclusive units
/// are fenced at once regardless.
public struct DisconnectPolicy: Sendable, Hashable, Codable {
    /// Seconds after the lease could no longer be renewed before the units are stopped.
    public var stopAfter: Double

    public init(stopAfter: Double) { self.stopAfter = stopAfter }
}
