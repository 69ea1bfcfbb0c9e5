import FlotillaModel

/// One stack prepared for a pass: its request summed once, its spread settings resolved, and
/// its statically eligible machines (alive, `machineID`, metadata) listed once.
struct CompiledStack {
    /// The spec.
    let spec: StackSpec
    /// The stack name.
    let name: String
    /// Millicores one instance asks for.
    let cpu: Int64
    /// Bytes of memory one instance asks for.
    let memory: Int64
    /// Bytes of disk one instance asks for.
    let disk: Int64
    /// Host ports one instance asks for.
    let ports: [Int]
    /// `global` stack.
    let isGlobal: Bool
    /// Some unit is `exclusive`.
    let isExclusive: Bool
    /// `spread: machine`.
    let spreadMachine: Bool
    /// Index into ``StackTable/spreadKeys`` for `spread: {metadata: key}`, or -1.
    let spreadKey: Int32
    /// Index into ``StackTable/rulePasses`` for the metadata rule, or -1 when there is none.
    let metadataRule: Int32
    /// Machines matching `machineID`, or nil when the stack has no such rule.
    let machineIDTargets: [Int32]?
    /// Alive machines passing `machineID` and metadata, in machine order.
    let eligible: [Int32]
}

/// For one metadata key used by `spread`, the value of every machine (its first value; machines
/// without the key share one extra value).
struct SpreadKeyTable {
    /// Value index per machine.
    let valueOf: [Int32]
    /// Number of distinct values (including "missing").
    let valueCount: Int
}

/// The compiled stacks of a pass, sorted by name, plus the class-level caches.
struct StackTable {
    /// Stacks sorted by name (duplicate names keep the first).
    let stacks: [CompiledStack]
    /// Name → index.
    let indexByName: [String: Int32]
    /// For every distinct metadata rule, whether each machine class passes it.
    let rulePasses: [[Bool]]
    /// Tables of the metadata keys used by `spread`.
    let spreadKeys: [SpreadKeyTable]

    private struct EligibilityKey: Hashable {
        var metadata: [String: [String]]
        var machineID: String?
        /// Global stacks ignore cordons.
        var global: Bool
    }

    /// Compiles `specs` against `machines`.
    init(_ specs: [StackSpec], machines: MachineTable) {
        var seen = Set<String>()
        let sorted = specs.sorted { $0.name < $1.name }.filter { seen.insert($0.name).inserted }
        var ruleIDs: [[String: [String]]: Int32] = [:]
        var rulePasses: [[Bool]] = []
        var eligibleCache: [EligibilityKey: [Int32]] = [:]
        var spreadKeyIDs: [String: Int32] = [:]
        var spreadKeys: [SpreadKeyTable] = []
        var stacks: [CompiledStack] = []
        var indexByName: [String: Int32] = [:]
        for spec in sorted {
            let rules = spec.schedulingPlacement
            var rule: Int32 = -1
            if !rules.metadata.isEmpty {
                if let id = ruleIDs[rules.metadata] {
                    rule = id
                } else {
                    rule = Int32(rulePasses.count)
                    ruleIDs[rules.metadata] = rule
                    rulePasses.append(machines.classMetadata.map { rules.metadataMatches($0) })
                }
            }
            let targets = rules.machineID.map { machines.matching(machineID: $0) }
            let key = EligibilityKey(metadata: rules.metadata, machineID: rules.machineID, global: spec.isGlobal)
            let eligible: [Int32]
            if let cached = eligibleCache[key] {
                eligible = cached
            } else {
                let candidates = targets ?? Array(0..<Int32(machines.count))
                let passes = rule >= 0 ? rulePasses[Int(rule)] : nil
                eligible = candidates.filter { m in
                    machines.alive[Int(m)] && (spec.isGlobal || !machines.cordoned[Int(m)])
                        && (passes?[Int(machines.classOf[Int(m)])] ?? true)
                }
                eligibleCache[key] = eligible
            }
            var spreadKey: Int32 = -1
            if case .metadata(let name) = spec.spread {
                if let id = spreadKeyIDs[name] {
                    spreadKey = id
                } else {
                    spreadKey = Int32(spreadKeys.count)
                    spreadKeyIDs[name] = spreadKey
                    spreadKeys.append(StackTable.spreadTable(key: name, machines: machines))
                }
            }
            let request = spec.resources
            indexByName[spec.name] = Int32(stacks.count)
            stacks.append(CompiledStack(
                spec: spec, name: spec.name, cpu: request.cpu, memory: request.memory, disk: request.disk,
                ports: request.ports, isGlobal: spec.isGlobal, isExclusive: spec.isExclusive,
                spreadMachine: spec.spread == .machine, spreadKey: spreadKey, metadataRule: rule,
                machineIDTargets: targets, eligible: eligible))
        }
        self.stacks = stacks
        self.indexByName = indexByName
        self.rulePasses = rulePasses
        self.spreadKeys = spreadKeys
    }

    private static func spreadTable(key: String, machines: MachineTable) -> SpreadKeyTable {
        var valueIDs: [String: Int32] = [:]
        var perClass: [Int32] = []
        for metadata in machines.classMetadata {
            let value = metadata[key].first ?? ""
            if let id = valueIDs[value] {
                perClass.append(id)
            } else {
                let id = Int32(valueIDs.count)
                valueIDs[value] = id
                perClass.append(id)
            }
        }
        return SpreadKeyTable(valueOf: machines.classOf.map { perClass[Int($0)] }, valueCount: valueIDs.count)
    }

    /// The first static rule that rules out `machine` for `stack`, or nil when none does. A
    /// cordon rules out new instances only (not one `keeping` its place), and never a
    /// `global` stack's.
    func staticVerdict(stack: Int32, machine: Int32, machines: MachineTable, keeping: Bool) -> Verdict? {
        let compiled = stacks[Int(stack)]
        if !machines.alive[Int(machine)] { return .down }
        if !keeping, !compiled.isGlobal, machines.cordoned[Int(machine)] { return .cordoned }
        if let targets = compiled.machineIDTargets, !targets.contains(machine) { return .machineID }
        if compiled.metadataRule >= 0, !rulePasses[Int(compiled.metadataRule)][Int(machines.classOf[Int(machine)])] {
            return .metadata
        }
        return nil
    }
}
