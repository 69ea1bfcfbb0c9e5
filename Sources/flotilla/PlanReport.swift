import FlotillaModel
import FlotillaScheduler

/// A plan as printed by `flotilla plan` (table, JSON or YAML).
struct PlanReport: Encodable {
    struct Row: Encodable {
        var instance: String
        var stack: String
        var action: String
        var machine: String?
        var from: String?
        var reason: String?
    }
    struct Failure: Encodable {
        var instance: String
        var stack: String
        var message: String
        var machinesTotal: Int
        var reasons: [Reason]
    }
    struct Reason: Encodable {
        var reason: String
        var machines: Int
    }
    struct MachineUse: Encodable {
        var machine: String
        var state: String
        var instances: Int
        var cpu: String
        var memory: String
    }

    var actions: [Row]
    var failures: [Failure]
    var machines: [MachineUse]
    var placed: Int
    var wanted: Int

    init(plan: Plan, request: SchedulingRequest) {
        actions = plan.actions.map { action in
            switch action {
            case .place(let i, let s, let m): Row(instance: i, stack: s, action: "place", machine: m)
            case .keep(let i, let s, let m): Row(instance: i, stack: s, action: "keep", machine: m)
            case .stop(let i, let s, let m, let r): Row(instance: i, stack: s, action: "stop", machine: m, reason: r)
            case .move(let i, let s, let f, let t, let r): Row(instance: i, stack: s, action: "move", machine: t, from: f, reason: r)
            }
        }
        failures = plan.failures.map { failure in
            Failure(instance: failure.instance, stack: failure.stack, message: failure.description,
                    machinesTotal: failure.machinesTotal,
                    reasons: failure.reasons.map { Reason(reason: $0.reason.text, machines: $0.count) })
        }
        let placements = plan.placements
        placed = placements.count
        wanted = placements.count + plan.failures.count
        let stacks = Dictionary(request.stacks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var use: [String: (count: Int, resources: Resources)] = [:]
        for action in plan.actions {
            guard let machine = placements[action.instance], case let stackName = Self.stack(of: action),
                  let stack = stacks[stackName] else { continue }
            var entry = use[machine, default: (0, .zero)]
            entry.count += 1
            entry.resources = entry.resources + stack.resources
            use[machine] = entry
        }
        machines = request.cluster.machines.sorted { $0.machine.id < $1.machine.id }.map { state in
            let entry = use[state.machine.id, default: (0, .zero)]
            let capacity = state.machine.capacity
            let cpu = entry.resources.cpu + state.reserved.cpu
            let memory = entry.resources.memory + state.reserved.memory
            return MachineUse(
                machine: state.machine.id, state: state.alive ? "up" : "down", instances: entry.count,
                cpu: "\(Quantity.formatCPU(cpu))/\(Quantity.formatCPU(capacity.cpu))",
                memory: "\(Quantity.formatBytes(memory))/\(Quantity.formatBytes(capacity.memory))")
        }
    }

    private static func stack(of action: PlanAction) -> String {
        switch action {
        case .place(_, let s, _), .keep(_, let s, _), .stop(_, let s, _, _), .move(_, let s, _, _, _): s
        }
    }

    /// The human-readable plan: instances, machine usage, and why anything can't be placed.
    func text(without: [String]) -> String {
        var lines: [String] = []
        if !without.isEmpty { lines.append("What if \(without.joined(separator: ", ")) \(without.count == 1 ? "is" : "are") down:\n") }
        var table = Table(header: ["INSTANCE", "STACK", "ACTION", "MACHINE", "REASON"])
        for row in actions {
            let machine = row.from.map { "\($0) -> \(row.machine ?? "-")" } ?? row.machine ?? "-"
            table.rows.append([row.instance, row.stack, row.action, machine, row.reason ?? ""])
        }
        for failure in failures {
            table.rows.append([failure.instance, failure.stack, "unplaced", "-", "no machine fits (see below)"])
        }
        if !table.rows.isEmpty { lines.append(table.render()) }
        var usage = Table(header: ["MACHINE", "STATE", "INSTANCES", "CPU", "MEMORY"])
        for m in machines { usage.rows.append([m.machine, m.state, "\(m.instances)", m.cpu, m.memory]) }
        lines.append("")
        lines.append(usage.render())
        lines.append("")
        let counts = Dictionary(grouping: actions, by: \.action).mapValues(\.count)
        let breakdown = ["place", "move", "keep", "stop"].compactMap { k in counts[k].map { "\($0) \(k)" } }
        lines.append("\(placed) of \(wanted) instance\(wanted == 1 ? "" : "s") placed" + (breakdown.isEmpty ? "." : " (\(breakdown.joined(separator: ", ")))."))
        if !failures.isEmpty {
            lines.append("")
            lines.append("\(failures.count) instance\(failures.count == 1 ? "" : "s") would be unplaced:")
            for failure in failures { lines.append("  " + failure.message) }
        }
        return lines.joined(separator: "\n")
    }
}
