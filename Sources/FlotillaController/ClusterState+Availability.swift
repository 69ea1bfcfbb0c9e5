import FlotillaModel

extension ClusterState {
    /// Instances of `stack` not available now: wanted ones without an assignment on a live
    /// machine whose every unit (of the current run) is running, and healthy where checked.
    /// Disruption budgets count these, and a reboot's drain is done when none is left.
    public func unavailable(_ stack: String) -> Int {
        guard case .count(let wanted)? = stacks[stack]?.record.spec.scale else { return 0 }
        let available = assignments.values.filter { $0.assignment.stack == stack && isAvailable($0) }.count
        return max(0, wanted - available)
    }

    /// True when `stored` is on a live machine and every unit of its current run is running
    /// (healthy where checked), or waiting for its schedule, or a oneshot that finished well.
    public func isAvailable(_ stored: StoredAssignment) -> Bool {
        guard machines.contains(where: { $0.id == stored.assignment.machine }) else { return false }
        let statuses = statuses[stored.assignment.instance] ?? []
        return stored.assignment.units.allSatisfy { unit in
            guard let status = statuses.first(where: { $0.unit == unit.name && $0.fencingToken == stored.revision }) else { return false }
            switch status.state {
            case .running: return unit.health == nil || status.health == .healthy
            case .exited: return unit.type == .oneshot || unit.timer != nil
            case .pending: return unit.timer != nil
            default: return false
            }
        }
    }

    /// True for a stack with an instance on every eligible machine (`global`).
    public func isGlobal(_ stack: String) -> Bool {
        if case .global? = stacks[stack]?.record.spec.scale { return true }
        return false
    }
}
