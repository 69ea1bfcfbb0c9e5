import FlotillaModel

/// A `machineOf` requirement of one instance, resolved to an instance of this pass.
struct MachineOfTarget {
    /// The target instance, or -1 when no wanted instance has that name (never placed).
    let instance: Int32
    /// Index of the target's name in ``InstanceTable/targetNames``.
    let name: Int32
}

/// Every wanted instance of the pass (global instances: one candidate per statically
/// eligible machine), numbered so that the number order is the processing order:
/// stacks in dependency order (`machineOf` targets first; global stacks, then names, break
/// ties), instances by index (global ones by machine).
struct InstanceTable {
    /// Instance names.
    private(set) var names: [String] = []
    /// Stack of every instance.
    private(set) var stackOf: [Int32] = []
    /// The one machine a global instance may run on; -1 for counted stacks.
    private(set) var fixedMachine: [Int32] = []
    /// `machineOf` targets per instance (empty for most).
    private(set) var targets: [[MachineOfTarget]] = []
    /// Names of `machineOf` targets, for messages.
    private(set) var targetNames: [String] = []
    /// Name → instance.
    private(set) var idByName: [String: Int32] = [:]
    /// The instances of every stack (by stack index): a contiguous range of numbers.
    private(set) var ranges: [Range<Int>] = []

    /// Stacks in processing order.
    private(set) var order: [Int32] = []

    /// Number of instances.
    var count: Int { names.count }

    /// Expands the stacks.
    init(stacks: StackTable, machines: MachineTable) {
        // First the names per stack (in name order), so machineOf targets can be resolved.
        var perStack: [[(name: String, machine: Int32, instanceText: String)]] = []
        for stack in stacks.stacks {
            var list: [(name: String, machine: Int32, instanceText: String)] = []
            let spec = stack.spec
            let wantsText = !spec.placement.machineOf.isEmpty
            switch spec.scale {
            case .global:
                list.reserveCapacity(stack.eligible.count)
                for m in stack.eligible {
                    let id = machines.id(m)
                    list.append((spec.instanceName(machineID: id), m, wantsText ? id : ""))
                }
            case .count(let n):
                let total = spec.naming == .single ? min(n, 1) : max(n, 0)
                list.reserveCapacity(total)
                for index in stride(from: 1, through: total, by: 1) {
                    let name = spec.instanceName(index: index)
                    let text = !wantsText ? "" : spec.naming == .single ? InstanceTable.fleetInstance(of: name) : String(index)
                    list.append((name, -1, text))
                }
            }
            perStack.append(list)
        }
        let total = perStack.reduce(0) { $0 + $1.count }
        var stackOfName: [String: Int32] = [:]
        if stacks.stacks.contains(where: { !$0.spec.placement.machineOf.isEmpty }) {
            stackOfName.reserveCapacity(total)
            for (s, list) in perStack.enumerated() { for entry in list { stackOfName[entry.name] = Int32(s) } }
        }

        // Dependencies between stacks, then the processing order.
        var targetNameIDs: [String: Int32] = [:]
        var resolved: [[[String]]] = []
        var dependsOn: [Set<Int32>] = Array(repeating: [], count: perStack.count)
        for (s, list) in perStack.enumerated() {
            let templates = stacks.stacks[s].spec.placement.machineOf
            guard !templates.isEmpty else { resolved.append([]); continue }
            var names: [[String]] = []
            for entry in list {
                let targets = templates.map { $0.replacing("%i", with: entry.instanceText) }
                for target in targets {
                    if let t = stackOfName[target], t != Int32(s) { dependsOn[s].insert(t) }
                }
                names.append(targets)
            }
            resolved.append(names)
        }
        let order = InstanceTable.order(stacks: stacks, dependsOn: dependsOn)

        // Number the instances in processing order.
        ranges = Array(repeating: 0..<0, count: perStack.count)
        idByName.reserveCapacity(total)
        names.reserveCapacity(total)
        stackOf.reserveCapacity(total)
        fixedMachine.reserveCapacity(total)
        targets.reserveCapacity(total)
        for s in order {
            let start = names.count
            // A name already taken by an earlier stack stays with that stack.
            for entry in perStack[Int(s)] where idByName[entry.name] == nil {
                idByName[entry.name] = Int32(names.count)
                names.append(entry.name)
                stackOf.append(s)
                fixedMachine.append(entry.machine)
                targets.append([])
            }
            ranges[Int(s)] = start..<names.count
        }
        self.order = order
        for s in order where !resolved[Int(s)].isEmpty {
            for (position, targetList) in resolved[Int(s)].enumerated() {
                let id = Int(idByName[perStack[Int(s)][position].name]!)
                guard stackOf[id] == s else { continue }
                targets[id] = targetList.map { name in
                    let nameID: Int32
                    if let known = targetNameIDs[name] {
                        nameID = known
                    } else {
                        nameID = Int32(targetNames.count)
                        targetNameIDs[name] = nameID
                        targetNames.append(name)
                    }
                    return MachineOfTarget(instance: idByName[name] ?? -1, name: nameID)
                }
            }
        }
    }

    /// fleet's `%i`: what follows the first `@` up to the last `.` (empty without `@`).
    static func fleetInstance(of name: String) -> String {
        guard let at = name.firstIndex(of: "@") else { return "" }
        let rest = name[name.index(after: at)...]
        guard let dot = rest.lastIndex(of: ".") else { return String(rest) }
        return String(rest[..<dot])
    }

    /// Kahn's algorithm; ready stacks are taken global first, then by name. Stacks caught in a
    /// `machineOf` cycle come last (their followers then find their targets unplaced).
    private static func order(stacks: StackTable, dependsOn: [Set<Int32>]) -> [Int32] {
        let count = dependsOn.count
        func key(_ s: Int32) -> Int { (stacks.stacks[Int(s)].isGlobal ? 0 : count) + Int(s) }
        if dependsOn.allSatisfy(\.isEmpty) {
            return (0..<Int32(count)).sorted { key($0) < key($1) }
        }
        var dependents: [[Int32]] = Array(repeating: [], count: count)
        var pending = dependsOn.map(\.count)
        for (s, deps) in dependsOn.enumerated() { for d in deps { dependents[Int(d)].append(Int32(s)) } }
        var ready = (0..<Int32(count)).filter { pending[Int($0)] == 0 }.sorted { key($0) > key($1) }
        var order: [Int32] = []
        var done = Array(repeating: false, count: count)
        while let next = ready.popLast() {
            order.append(next)
            done[Int(next)] = true
            for d in dependents[Int(next)] {
                pending[Int(d)] -= 1
                if pending[Int(d)] == 0 {
                    let k = key(d)
                    let at = ready.firstIndex { key($0) < k } ?? ready.endIndex
                    ready.insert(d, at: at)
                }
            }
        }
        order += (0..<Int32(count)).filter { !done[Int($0)] }.sorted { key($0) < key($1) }
        return order
    }
}
