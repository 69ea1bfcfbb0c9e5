import FlotillaModel
import FlotillaScheduler

/// An independent checker of a plan: re-derives every hard rule from the request with its own
/// code (only `Glob` matching is shared with the model) and lists every violation it finds.
/// `Replaces` is checked like a conflict, so requests with assignments should not use it (it
/// never moves running instances).
struct PlanChecker {
    let request: SchedulingRequest
    let plan: Plan

    private var machinesByID: [String: MachineState] {
        Dictionary(request.cluster.machines.map { ($0.machine.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    private var stacksByName: [String: StackSpec] {
        Dictionary(request.stacks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every violation found (empty when the plan is sound).
    func violations() -> [String] {
        var problems: [String] = []
        let machines = machinesByID, stacks = stacksByName
        var stackOf: [String: String] = [:]
        var seen = Set<String>()
        var excused = Set<String>()
        for action in plan.actions {
            if !seen.insert(action.instance).inserted { problems.append("two actions for \(action.instance)") }
            switch action {
            case .place(let i, let s, _), .keep(let i, let s, _), .move(let i, let s, _, _, _): stackOf[i] = s
            case .stop(let i, _, let m, let reason):
                if reason == "exclusive: stops before it is placed again" {
                    excused.insert(i)
                    if machines[m]?.alive != true { problems.append("exclusive \(i) stopped on a dead machine") }
                }
            }
            if request.assignments.isEmpty {
                if case .place = action {} else { problems.append("fresh plan has \(action)") }
            }
            if let from = request.assignments[action.instance], case .keep(_, _, let m) = action, from != m {
                problems.append("\(action.instance) kept on \(m) but ran on \(from)")
            }
        }
        for (instance, machineID) in request.assignments where machines[machineID]?.alive != true {
            if case .keep = plan.action(instance) { problems.append("\(instance) kept on dead \(machineID)") }
        }
        let placements = plan.placements
        var onMachine: [String: [String]] = [:]
        for (instance, machineID) in placements { onMachine[machineID, default: []].append(instance) }

        for (instance, machineID) in placements {
            guard let state = machines[machineID] else { problems.append("\(instance) on unknown \(machineID)"); continue }
            guard let stack = stackOf[instance].flatMap({ stacks[$0] }) else { problems.append("\(instance) has no stack"); continue }
            if !state.alive { problems.append("\(instance) on dead \(machineID)") }
            if let wanted = stack.placement.machineID, !(wanted == machineID || (wanted.count == 8 && machineID.hasPrefix(wanted))) {
                problems.append("\(instance) not on machine \(wanted)")
            }
            if !metadataHolds(stack.placement.metadata, state.machine.metadata) { problems.append("\(instance) metadata on \(machineID)") }
            for template in stack.placement.machineOf {
                let target = template.replacing("%i", with: indexText(instance, stack: stack))
                if placements[target] != machineID { problems.append("\(instance) not with \(target)") }
            }
            if case .global = stack.scale, instance != stack.instanceName(machineID: machineID) {
                problems.append("global \(instance) on \(machineID)")
            }
        }
        for (machineID, list) in onMachine {
            guard let state = machines[machineID] else { continue }
            var cpu: Int64 = 0, memory: Int64 = 0, disk: Int64 = 0
            var ports = Set(state.machine.capacity.ports + state.reserved.ports)
            var perStack: [String: Int] = [:]
            for instance in list {
                let stack = stacks[stackOf[instance]!]!
                let request = stack.units.reduce(Resources.zero) { $0 + $1.resources }
                cpu += request.cpu; memory += request.memory; disk += request.disk
                for port in request.ports where !ports.insert(port).inserted { problems.append("port \(port) twice on \(machineID)") }
                perStack[stack.name, default: 0] += 1
                for other in list where other != instance && conflicts(instance, stack, other, stacks[stackOf[other]!]!) {
                    problems.append("\(instance) conflicts with \(other) on \(machineID)")
                }
            }
            let capacity = state.machine.capacity, reserved = state.reserved
            if cpu > 0 && cpu > capacity.cpu - reserved.cpu { problems.append("cpu overcommitted on \(machineID)") }
            if memory > 0 && memory > capacity.memory - reserved.memory { problems.append("memory overcommitted on \(machineID)") }
            if disk > 0 && disk > capacity.disk - reserved.disk { problems.append("disk overcommitted on \(machineID)") }
            for (name, count) in perStack where count > 1 && stacks[name]!.spread == .machine {
                problems.append("\(count) of \(name) on \(machineID) despite spread: machine")
            }
        }
        problems += coverage(stacks: stacks, machines: machines, onMachine: onMachine, stackOf: stackOf, excused: excused)
        for failure in plan.failures where failure.reasons.reduce(0, { $0 + $1.count }) != failure.machinesTotal {
            problems.append("failure counts of \(failure.instance) do not add up: \(failure)")
        }
        return problems
    }

    /// Counted stacks: every instance placed or failed. Global stacks: exactly one instance per
    /// eligible machine, unless something there conflicts with it or it failed.
    private func coverage(stacks: [String: StackSpec], machines: [String: MachineState],
                          onMachine: [String: [String]], stackOf: [String: String], excused: Set<String>) -> [String] {
        var problems: [String] = []
        let failed = Set(plan.failures.map(\.instance)).union(excused)
        let placements = plan.placements
        for stack in request.stacks {
            switch stack.scale {
            case .count(let n):
                let names = Set((1...max(1, n)).prefix(n).map { stack.instanceName(index: $0) })
                for name in names where placements[name] == nil && !failed.contains(name) { problems.append("\(name) neither placed nor failed") }
                let extra = placements.keys.filter { stackOf[$0] == stack.name && !names.contains($0) }
                if !extra.isEmpty { problems.append("unwanted instances \(extra)") }
            case .global:
                for state in request.cluster.machines {
                    let id = state.machine.id, name = stack.instanceName(machineID: id)
                    let eligible = state.alive && metadataHolds(stack.placement.metadata, state.machine.metadata)
                        && (stack.placement.machineID.map { $0 == id || ($0.count == 8 && id.hasPrefix($0)) } ?? true)
                    guard eligible else {
                        if placements[name] != nil { problems.append("\(name) on an ineligible machine") }
                        continue
                    }
                    if placements[name] == id || failed.contains(name) { continue }
                    let blocked = (onMachine[id] ?? []).contains { conflicts(name, stack, $0, stacks[stackOf[$0]!]!) }
                    if !blocked { problems.append("\(name) missing on eligible \(id)") }
                }
            }
        }
        return problems
    }

    /// Symmetric conflict (with `Replaces` counted, as for new placements).
    private func conflicts(_ a: String, _ aStack: StackSpec, _ b: String, _ bStack: StackSpec) -> Bool {
        guard a != b else { return false }
        let aGlobs = aStack.placement.conflicts + aStack.placement.replaces
        let bGlobs = bStack.placement.conflicts + bStack.placement.replaces
        return aGlobs.contains { $0.matches(b) || $0.matches(bStack.name) } || bGlobs.contains { $0.matches(a) || $0.matches(aStack.name) }
    }

    private func metadataHolds(_ rules: [String: [String]], _ metadata: Metadata) -> Bool {
        for (key, allowed) in rules where !metadata.values[key, default: []].contains(where: allowed.contains) { return false }
        return true
    }

    private func indexText(_ instance: String, stack: StackSpec) -> String {
        guard let at = instance.firstIndex(of: "@") else { return "" }
        return String(instance[instance.index(after: at)...])
    }
}
