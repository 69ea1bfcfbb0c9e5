import FlotillaModel

/// The first reason (in the fixed check order) that a machine cannot take an instance, or
/// `fits`. Payloads are numbers so that checking a machine allocates nothing.
enum Verdict: Hashable {
    /// Every check passed.
    case fits
    /// The machine's lease expired.
    case down
    /// The machine is cordoned (or draining): no new instances.
    case cordoned
    /// The instance failed on this machine before (`reschedule:`).
    case avoided
    /// `machineID` names another machine.
    case machineID
    /// Metadata rule not met.
    case metadata
    /// A `machineOf` target is elsewhere or unplaced (payload: target name number).
    case machineOf(Int32)
    /// A conflict glob matches (payload: pattern number).
    case conflict(Int32)
    /// `spread: machine` and the stack is already there.
    case spread
    /// A requested host port is taken.
    case port(Int)
    /// Not enough cpu.
    case cpu
    /// Not enough memory.
    case memory
    /// Not enough disk.
    case disk

    /// True for port and resource verdicts: the machine is eligible but too full.
    var isCapacity: Bool {
        switch self {
        case .port, .cpu, .memory, .disk: true
        default: false
        }
    }
}

/// The per-stack facts the hot path reads, as plain values (copying one allocates nothing).
struct StackFacts {
    /// Millicores per instance.
    var cpu: Int64
    /// Memory bytes per instance.
    var memory: Int64
    /// Disk bytes per instance.
    var disk: Int64
    /// Requests host ports.
    var hasPorts: Bool
    /// `spread: machine`.
    var spreadMachine: Bool
    /// Machines must record how many instances of this stack they hold.
    var recorded: Bool
    /// Instances of this stack have `machineOf` targets.
    var follows: Bool
    /// Spread key table for `spread: {metadata: key}`, or -1.
    var spreadKey: Int32
    /// Feasible machines to compare before choosing: max(2, ⌈log₂ eligible⌉).
    var limit: Int
}

/// How many instances of one stack a machine holds.
struct StackCount {
    /// Stack number.
    var stack: Int32
    /// Instances of it on the machine.
    var count: Int32
}

extension SchedulingPass {
    /// The first dynamic rule (a machine the instance failed on, `machineOf`, conflicts, spread,
    /// ports, cpu, memory, disk) that rules out `machine` for instance `instance` given what is
    /// placed so far. Static rules (alive, machine ID, metadata) are the caller's business.
    @inline(__always)
    func dynamicVerdict(_ instance: Int32, stack s: Int32, _ facts: StackFacts, machine m: Int32, keeping: Bool) -> Verdict {
        let mi = Int(m)
        if !avoided.isEmpty, avoided[instance]?.contains(m) == true { return .avoided }
        if facts.follows {
            for target in instances.targets[Int(instance)] where target.instance < 0 || placedOn[Int(target.instance)] != m {
                return .machineOf(target.name)
            }
        }
        if facts.recorded {
            let entries = stackCounts[mi]
            if !entries.isEmpty {
                let links = keeping ? keepLinks : placeLinks
                let always = links.always[Int(s)]
                var crowded = false
                for entry in entries where entry.count > 0 {
                    if entry.stack == s && facts.spreadMachine { crowded = true }
                    if !always.isEmpty, let pattern = always[entry.stack] { return .conflict(pattern) }
                    if links.hasByName, let link = links.byName[Int(s)][entry.stack],
                       let pattern = byNameConflict(instance, link: link, stack: entry.stack, machine: mi) {
                        return .conflict(pattern)
                    }
                }
                if crowded { return .spread }
            }
        }
        if facts.hasPorts {
            let taken = ports[mi]
            for port in stackPorts[Int(s)] where taken.contains(port) { return .port(port) }
        }
        if facts.cpu > 0 && facts.cpu > freeCPU[mi] { return .cpu }
        if facts.memory > 0 && facts.memory > freeMemory[mi] { return .memory }
        if facts.disk > 0 && facts.disk > freeDisk[mi] { return .disk }
        return .fits
    }

    /// The pattern of a name-dependent conflict between `instance` and the instances of `stack`
    /// on `machine`, if any.
    private func byNameConflict(_ instance: Int32, link: ByNameLink, stack: Int32, machine: Int) -> Int32? {
        if !link.forward.isEmpty {
            for resident in residents[machine] where instances.stackOf[Int(resident)] == stack {
                let name = instances.names[Int(resident)]
                for (glob, pattern) in link.forward where glob.matches(name) { return pattern }
            }
        }
        let own = instances.names[Int(instance)]
        for (glob, pattern) in link.reverse where glob.matches(own) { return pattern }
        return nil
    }

    /// Every check in order, static ones first.
    func fullVerdict(_ instance: Int32, stack s: Int32, machine m: Int32, keeping: Bool) -> Verdict {
        if let verdict = stacks.staticVerdict(stack: s, machine: m, machines: machines, keeping: keeping) { return verdict }
        return dynamicVerdict(instance, stack: s, facts[Int(s)], machine: m, keeping: keeping)
    }

    /// Records `instance` on `machine`: resources, ports, stack counts, spread counts.
    mutating func commit(_ instance: Int32, stack s: Int32, machine m: Int32) {
        let mi = Int(m), f = facts[Int(s)]
        freeCPU[mi] -= f.cpu
        freeMemory[mi] -= f.memory
        freeDisk[mi] -= f.disk
        if f.hasPorts { ports[mi].append(contentsOf: stackPorts[Int(s)]) }
        if f.recorded {
            if let at = stackCounts[mi].firstIndex(where: { $0.stack == s }) {
                stackCounts[mi][at].count += 1
            } else {
                stackCounts[mi].append(StackCount(stack: s, count: 1))
            }
            if placeLinks.hasByName { residents[mi].append(instance) }
        }
        if f.spreadKey >= 0 {
            let value = stacks.spreadKeys[Int(f.spreadKey)].valueOf[mi]
            spreadCounts[Int(s)][Int(value)] += 1
        }
        placedOn[Int(instance)] = m
        commits += 1
    }
}
