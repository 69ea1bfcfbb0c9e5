import FlotillaModel

extension SchedulingPass {
    /// Why instance `instance` fits no machine: every machine of the cluster counted once, under
    /// the first rule that rules it out. For exhausted resources, "most free" is the largest free
    /// amount of that dimension among machines that passed every other rule.
    func explain(_ instance: Int32) -> PlacementFailure {
        let s = instances.stackOf[Int(instance)]
        let fixed = instances.fixedMachine[Int(instance)]
        var counts: [Verdict: Int] = [:]
        var mostFree: (cpu: Int64, memory: Int64, disk: Int64) = (0, 0, 0)
        func note(_ verdict: Verdict, machine m: Int) {
            counts[verdict, default: 0] += 1
            switch verdict {
            case .cpu, .memory, .disk:
                mostFree.cpu = max(mostFree.cpu, freeCPU[m])
                mostFree.memory = max(mostFree.memory, freeMemory[m])
                mostFree.disk = max(mostFree.disk, freeDisk[m])
            default: break
            }
        }
        var extra: [ReasonCount] = []
        if fixed >= 0 {
            // A global instance belongs to one (alive) machine; every other one is down or
            // "not machine X", which needs no scan.
            let others = machines.count - 1 - machines.deadCount
            if machines.deadCount > 0 { extra.append(ReasonCount(.machineDown, machines.deadCount)) }
            if others > 0 { extra.append(ReasonCount(.machineID(machines.id(fixed)), others)) }
            note(fullVerdict(instance, stack: s, machine: fixed, keeping: false), machine: Int(fixed))
        } else {
            for m in 0..<Int32(machines.count) {
                note(fullVerdict(instance, stack: s, machine: m, keeping: false), machine: Int(m))
            }
        }
        let stack = stacks.stacks[Int(s)]
        let reasons = counts.compactMap { verdict, count -> ReasonCount? in
            reason(verdict, stack: stack, mostFree: mostFree).map { ReasonCount($0, count) }
        }
        return PlacementFailure(instance: instances.names[Int(instance)], stack: stack.name,
                                machinesTotal: machines.count, reasons: extra + reasons)
    }

    /// The user-facing reason of a verdict (nil for `fits`). `mostFree` fills exhausted reasons.
    func reason(_ verdict: Verdict, stack: CompiledStack, mostFree: (cpu: Int64, memory: Int64, disk: Int64)) -> FilterReason? {
        switch verdict {
        case .fits: return nil
        case .down: return .machineDown
        case .cordoned: return .machineCordoned
        case .avoided: return .failedBefore
        case .machineID: return .machineID(stack.spec.placement.machineID ?? "")
        case .metadata: return .metadata(stack.spec.schedulingPlacement.metadataSummary)
        case .machineOf(let target): return .machineOf(instances.targetNames[Int(target)])
        case .conflict(let pattern): return .conflict(patterns.texts[Int(pattern)])
        case .spread: return .spread(stack.name)
        case .port(let port): return .port(port)
        case .cpu:
            return .exhausted(dimension: "cpu", needs: Quantity.formatCPU(stack.cpu), mostFree: Quantity.formatCPU(max(0, mostFree.cpu)))
        case .memory:
            return .exhausted(dimension: "memory", needs: Quantity.formatBytes(stack.memory),
                              mostFree: Quantity.formatBytes(max(0, mostFree.memory)))
        case .disk:
            return .exhausted(dimension: "disk", needs: Quantity.formatBytes(stack.disk),
                              mostFree: Quantity.formatBytes(max(0, mostFree.disk)))
        }
    }

    /// The reason one machine no longer suits an instance already there, for move and stop texts.
    func reasonText(_ verdict: Verdict, stack s: Int32, machine m: Int32) -> String {
        let mi = Int(m)
        return reason(verdict, stack: stacks.stacks[Int(s)], mostFree: (freeCPU[mi], freeMemory[mi], freeDisk[mi]))?.text ?? "fits"
    }
}
