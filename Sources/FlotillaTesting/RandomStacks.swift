import FlotillaModel
import FlotillaScheduler

/// Seeded random stacks for a cluster: counts, metadata rules, conflicts, spread, `machineOf`,
/// global stacks, resource requests, host ports, exclusive units, `Replaces` and `machineID`,
/// each with its own probability. The same settings give the same stacks.
public struct RandomStacks: Sendable {
    /// Number of stacks.
    public var stacks: Int
    /// Instances wanted in total by counted stacks (approximately).
    public var instances: Int
    /// Seed of the random source.
    public var seed: UInt64
    /// Share of stacks with a metadata rule.
    public var metadataShare: Double = 0.4
    /// Share of stacks that conflict with their own instances (`name@*`).
    public var selfConflictShare: Double = 0.3
    /// Share of stacks that conflict with another stack.
    public var otherConflictShare: Double = 0.05
    /// Share of stacks with `spread: machine`.
    public var spreadMachineShare: Double = 0.1
    /// Share of stacks with `spread: {metadata: zone}`.
    public var spreadZoneShare: Double = 0.15
    /// Share of stacks that follow another stack with `machineOf: [other@%i]`.
    public var machineOfShare: Double = 0.05
    /// Share of global stacks.
    public var globalShare: Double = 0.0
    /// Share of stacks requesting a host port.
    public var portShare: Double = 0.1
    /// Share of stacks with an exclusive unit.
    public var exclusiveShare: Double = 0.1
    /// Share of stacks with a `Replaces` glob.
    public var replacesShare: Double = 0.02
    /// Share of stacks pinned with `machineID` (short ID).
    public var machineIDShare: Double = 0.02
    /// Largest cpu request in millicores (requests are 50m steps up to this).
    public var maxCPU: Int64 = 1000
    /// Largest memory request in MiB (64Mi steps up to this).
    public var maxMemoryMiB: Int64 = 1024

    /// Creates settings; adjust the shares afterwards.
    public init(stacks: Int, instances: Int, seed: UInt64) {
        self.stacks = stacks
        self.instances = instances
        self.seed = seed
    }

    /// Generates stacks named `s0000`, `s0001`, … for `cluster` (machine IDs and metadata are
    /// drawn from it).
    public func generate(for cluster: ClusterSnapshot) -> [StackSpec] {
        var rng = SeededRandom(seed: seed ^ 0x57AC_C5)
        let machines = cluster.machines.map(\.machine).sorted { $0.id < $1.id }
        let zones = Array(Set(machines.flatMap { $0.metadata["zone"] })).sorted()
        let average = max(1, instances / max(1, stacks))
        var result: [StackSpec] = []
        for index in 0..<stacks {
            let name = "s" + String(repeating: "0", count: max(0, 4 - String(index).count)) + String(index)
            var unit = UnitSpec(name: "main")
            unit.resources = Resources(cpu: 50 * Int64(1 + rng.below(Int(maxCPU / 50))),
                                       memory: Int64(1 + rng.below(Int(max(1, maxMemoryMiB / 64)))) << 26,
                                       disk: rng.chance(0.3) ? Int64(1 + rng.below(10)) << 30 : 0,
                                       ports: rng.chance(portShare) ? [8000 + rng.below(8)] : [])
            unit.exclusive = rng.chance(exclusiveShare)
            var placement = PlacementRules()
            if rng.chance(metadataShare) {
                switch rng.below(3) {
                case 0 where !zones.isEmpty: placement.metadata = ["zone": [zones[rng.below(zones.count)]]]
                case 1: placement.metadata = ["disk": ["ssd"]]
                default: placement.metadata = ["role": rng.chance(0.5) ? ["web"] : ["web", "db"]]
                }
            }
            var spread: Spread?
            if rng.chance(spreadMachineShare) {
                spread = .machine
            } else if rng.chance(spreadZoneShare) {
                spread = .metadata(key: "zone")
            }
            let isGlobal = rng.chance(globalShare)
            let count = max(1, average / 2 + rng.below(average + 1))
            if rng.chance(selfConflictShare) { placement.conflicts.append(Glob("\(name)@*")) }
            if index > 0 && rng.chance(otherConflictShare) {
                let other = result[rng.below(index)].name
                placement.conflicts.append(Glob(rng.chance(0.5) ? other : "\(other)@[1-3]"))
            }
            if index > 0 && rng.chance(replacesShare) { placement.replaces.append(Glob("\(result[rng.below(index)].name)@*")) }
            var scaled = count
            if !isGlobal && index > 0 && rng.chance(machineOfShare) {
                let target = result[rng.below(index)]
                if case .count(let targetCount) = target.scale {
                    placement.machineOf = ["\(target.name)@%i"]
                    scaled = min(count, targetCount)
                }
            }
            if !machines.isEmpty && rng.chance(machineIDShare) {
                placement.machineID = machines[rng.below(machines.count)].shortID
            }
            result.append(StackSpec(name: name, scale: isGlobal ? .global : .count(scaled), spread: spread, placement: placement, units: [unit]))
        }
        return result
    }
}
