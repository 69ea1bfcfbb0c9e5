import FlotillaModel

/// What a pass decided for one wanted instance.
enum Outcome {
    /// Not decided yet.
    case pending
    /// Stays on this machine.
    case keep(Int32)
    /// Starts on this machine.
    case place(Int32)
    /// Leaves machine `from` (an ID, which may be gone from the cluster) for `to`.
    case move(from: String, to: Int32, reason: String)
    /// Stops on `machine` and is not placed in this pass.
    case stop(machine: String, reason: String)
    /// No machine fits (a ``PlacementFailure`` is recorded); stops on `stopFrom` if it ran there.
    case failed(stopFrom: String?, reason: String)
    /// A global instance whose machine turned out ineligible (a conflict); nothing to do.
    case unwanted
}

extension SchedulingPass {
    /// The plan: every action sorted by instance name, failures sorted by instance name.
    func assemble() -> Plan {
        var entries: [(name: String, action: PlanAction)] = []
        entries.reserveCapacity(instances.count + unwantedStops.count)
        for id in 0..<instances.count {
            let name = instances.names[id]
            let stack = stacks.stacks[Int(instances.stackOf[id])].name
            switch outcomes[id] {
            case .pending, .unwanted, .failed(nil, _):
                continue
            case .keep(let m):
                entries.append((name, .keep(instance: name, stack: stack, machine: machines.id(m))))
            case .place(let m):
                entries.append((name, .place(instance: name, stack: stack, machine: machines.id(m))))
            case .move(let from, let to, let reason):
                entries.append((name, .move(instance: name, stack: stack, from: from, to: machines.id(to), reason: reason)))
            case .stop(let machine, let reason):
                entries.append((name, .stop(instance: name, stack: stack, machine: machine, reason: reason)))
            case .failed(.some(let from), let reason):
                entries.append((name, .stop(instance: name, stack: stack, machine: from, reason: reason)))
            }
        }
        entries += unwantedStops
        entries.sort { $0.name < $1.name }
        return Plan(actions: entries.map(\.action), failures: failures.sorted { $0.instance < $1.instance })
    }
}
