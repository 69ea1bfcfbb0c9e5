import FlotillaModel
import FlotillaScheduler

/// Small builders that keep the tests readable.
enum Build {
    static func machine(_ id: String, _ metadata: Metadata = [:], cpu: Int64 = 4000, memory: Int64 = 8 << 30,
                        disk: Int64 = 100 << 30, ports: [Int] = [], alive: Bool = true,
                        reserved: Resources = .zero) -> MachineState {
        MachineState(machine: Machine(id: id, metadata: metadata, capacity: Resources(cpu: cpu, memory: memory, disk: disk, ports: ports)),
                     alive: alive, reserved: reserved)
    }

    static func stack(_ name: String, count: Int = 1, cpu: Int64 = 0, memory: Int64 = 0, disk: Int64 = 0, ports: [Int] = [],
                      exclusive: Bool = false, spread: Spread? = nil, placement: PlacementRules = PlacementRules(),
                      global: Bool = false, naming: InstanceNaming = .indexed) -> StackSpec {
        var unit = UnitSpec(name: "main")
        unit.resources = Resources(cpu: cpu, memory: memory, disk: disk, ports: ports)
        unit.exclusive = exclusive
        return StackSpec(name: name, scale: global ? .global : .count(count), spread: spread, placement: placement,
                         units: [unit], naming: naming)
    }

    static func plan(_ machines: [MachineState], _ stacks: [StackSpec], assignments: [String: String] = [:],
                     strategy: ScoringStrategy = .binpack, seed: UInt64 = 7) -> Plan {
        Scheduler.plan(SchedulingRequest(cluster: ClusterSnapshot(machines: machines), stacks: stacks,
                                         assignments: assignments, strategy: strategy, seed: seed))
    }

    /// Machines `m01`…`mNN`.
    static func machines(_ count: Int, _ metadata: Metadata = [:], cpu: Int64 = 4000, memory: Int64 = 8 << 30) -> [MachineState] {
        (1...count).map { machine("m" + ($0 < 10 ? "0" : "") + String($0), metadata, cpu: cpu, memory: memory) }
    }
}

extension Plan {
    /// The action about `instance`, if any.
    func action(_ instance: String) -> PlanAction? { actions.first { $0.instance == instance } }

    /// Number of actions of each kind: place, keep, stop, move.
    var kinds: (place: Int, keep: Int, stop: Int, move: Int) {
        var result = (place: 0, keep: 0, stop: 0, move: 0)
        for action in actions {
            switch action {
            case .place: result.place += 1
            case .keep: result.keep += 1
            case .stop: result.stop += 1
            case .move: result.move += 1
            }
        }
        return result
    }

    /// The failure of `instance`, if any.
    func failure(_ instance: String) -> PlacementFailure? { failures.first { $0.instance == instance } }
}
