import FlotillaModel
import FlotillaScheduler

/// A seeded random cluster: machines with 32-hex-digit IDs, metadata (`zone`, `disk`, `role`,
/// sometimes two roles) and a few capacity shapes. The same settings give the same cluster.
public struct RandomCluster: Sendable {
    /// Number of machines.
    public var machines: Int
    /// Seed of the random source.
    public var seed: UInt64
    /// Values of the `zone` key.
    public var zones: [String]
    /// Share of machines whose lease expired (0...1).
    public var deadShare: Double
    /// Share of machines with host port 22 taken by outside software (0...1).
    public var sshShare: Double

    /// Creates settings.
    public init(machines: Int, seed: UInt64, zones: [String] = ["a", "b", "c"], deadShare: Double = 0, sshShare: Double = 0.5) {
        self.machines = machines
        self.seed = seed
        self.zones = zones
        self.deadShare = deadShare
        self.sshShare = sshShare
    }

    /// The `role` values machines carry.
    public static let roles = ["web", "db", "batch"]

    /// Generates the snapshot.
    public func snapshot() -> ClusterSnapshot {
        var rng = SeededRandom(seed: seed ^ 0xC1A5_7E55)
        var states: [MachineState] = []
        states.reserveCapacity(machines)
        let cpuShapes: [Int64] = [4000, 8000, 16000, 32000]
        let memoryShapes: [Int64] = [8 << 30, 16 << 30, 32 << 30, 64 << 30]
        for _ in 0..<machines {
            let id = RandomCluster.hex(rng.next()) + RandomCluster.hex(rng.next())
            var metadata = Metadata()
            metadata.add("zone", zones[rng.below(zones.count)])
            metadata.add("disk", rng.chance(0.7) ? "ssd" : "hdd")
            metadata.add("role", RandomCluster.roles[rng.below(RandomCluster.roles.count)])
            if rng.chance(0.2) { metadata.add("role", RandomCluster.roles[rng.below(RandomCluster.roles.count)]) }
            let shape = rng.below(cpuShapes.count)
            let capacity = Resources(cpu: cpuShapes[shape], memory: memoryShapes[shape],
                                     disk: Int64(100 + 100 * rng.below(5)) << 30,
                                     ports: rng.chance(sshShare) ? [22] : [])
            let reserved = Resources(cpu: 200, memory: 512 << 20)
            states.append(MachineState(machine: Machine(id: id, metadata: metadata, capacity: capacity),
                                       alive: !rng.chance(deadShare), reserved: reserved))
        }
        return ClusterSnapshot(machines: states)
    }

    /// 16 lower-case hex digits.
    static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
