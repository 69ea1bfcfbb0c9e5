/// A machine taken out of service by `flotilla machine cordon` or `drain`, stored at
/// `cordons/<machine>` (not under the machine's lease: it outlives agent restarts, and is
/// removed by `uncordon`).
public struct CordonRecord: Sendable, Hashable, Codable {
    /// Record schema.
    public var schema: Int = 1
    /// The machine ID.
    public var machine: String
    /// True while it drains (its instances leave); false when it is only cordoned (no new
    /// instances, the ones there stay).
    public var draining: Bool
    /// Since when, seconds since 1970.
    public var since: Double

    public init(machine: String, draining: Bool, since: Double) {
        self.machine = machine; self.draining = draining; self.since = since
    }

    /// `cordoned` or `draining`, as `machines` shows it.
    public var state: String { draining ? "draining" : "cordoned" }
}
