import FlotillaModel

/// One scheduling pass: the compiled request plus the mutable per-machine load, kept in flat
/// arrays indexed by machine position (machines sorted by ID) so that checking a machine reads
/// a few integers.
///
/// The pass runs in two phases (see `PassPhases.swift`): assignments are checked and kept in
/// instance order, then every instance still unplaced is placed (or moved) in the same order.
struct SchedulingPass {
    /// The machines.
    let machines: MachineTable
    /// The stacks.
    let stacks: StackTable
    /// The wanted instances, numbered in processing order.
    let instances: InstanceTable
    /// Conflict links checked when keeping an assignment (`conflicts` only).
    let keepLinks: ConflictLinks
    /// Conflict links checked when placing (`conflicts` plus fleet's `Replaces`, which only
    /// keeps new placements apart and never moves a running instance).
    let placeLinks: ConflictLinks
    /// Conflict patterns by number.
    let patterns: PatternTable
    /// Hot per-stack facts.
    let facts: [StackFacts]
    /// Requested host ports per stack.
    let stackPorts: [[Int]]
    /// Statically eligible machines per stack.
    let eligible: [[Int32]]
    /// Ranking of fitting machines.
    let strategy: ScoringStrategy
    /// For stacks with `spread: {metadata: key}`: the key values present on their eligible machines.
    let presentSpreadValues: [[Int32]]
    /// Machine positions each instance must not run on (``SchedulingRequest/avoid``).
    let avoided: [Int32: Set<Int32>]

    /// The random source, drawn from in processing order only.
    var rng: SeededRandom
    /// Free millicores per machine.
    var freeCPU: [Int64]
    /// Free memory per machine.
    var freeMemory: [Int64]
    /// Free disk per machine.
    var freeDisk: [Int64]
    /// Taken host ports per machine (outside software first, then placed instances).
    var ports: [[Int]]
    /// Instances per recorded stack, per machine (few entries each).
    var stackCounts: [[StackCount]]
    /// Instances of recorded stacks per machine, kept only when some conflict is name-dependent.
    var residents: [[Int32]]
    /// For stacks with `spread: {metadata: key}`: instances per key value.
    var spreadCounts: [[Int32]]
    /// Machine of every instance in this plan, or -1.
    var placedOn: [Int32]
    /// Number of commits so far (a failure can be reused while this does not change).
    var commits = 0
    /// What happens to each instance.
    var outcomes: [Outcome]
    /// Instances that could not be placed.
    var failures: [PlacementFailure] = []
    /// Stops of assigned instances that are no longer wanted at all.
    var unwantedStops: [(name: String, action: PlanAction)] = []

    /// Compiles `request`.
    init(_ request: SchedulingRequest) {
        let machines = MachineTable(request.cluster)
        let stacks = StackTable(request.stacks, machines: machines)
        let instances = InstanceTable(stacks: stacks, machines: machines)
        var patterns = PatternTable()
        let keepLinks = ConflictLinks(stacks: stacks, instances: instances, patterns: &patterns) { $0.placement.conflicts }
        let usesReplaces = request.stacks.contains { !$0.placement.replaces.isEmpty }
        let placeLinks = usesReplaces
            ? ConflictLinks(stacks: stacks, instances: instances, patterns: &patterns) { $0.placement.conflicts + $0.placement.replaces }
            : keepLinks
        self.machines = machines
        self.stacks = stacks
        self.instances = instances
        self.keepLinks = keepLinks
        self.placeLinks = placeLinks
        self.patterns = patterns
        self.strategy = request.strategy
        self.rng = SeededRandom(seed: request.seed)
        self.eligible = stacks.stacks.map(\.eligible)
        self.stackPorts = stacks.stacks.map(\.ports)
        self.facts = stacks.stacks.enumerated().map { s, stack in
            let n = stack.eligible.count
            return StackFacts(
                cpu: stack.cpu, memory: stack.memory, disk: stack.disk, hasPorts: !stack.ports.isEmpty,
                spreadMachine: stack.spreadMachine, recorded: placeLinks.linked[s] || stack.spreadMachine,
                follows: !stack.spec.placement.machineOf.isEmpty, spreadKey: stack.spreadKey,
                limit: max(2, n <= 1 ? 0 : Int.bitWidth - (n - 1).leadingZeroBitCount))
        }
        self.presentSpreadValues = stacks.stacks.map { stack in
            guard stack.spreadKey >= 0 else { return [] }
            let valueOf = stacks.spreadKeys[Int(stack.spreadKey)].valueOf
            return Array(Set(stack.eligible.map { valueOf[Int($0)] })).sorted()
        }
        self.spreadCounts = stacks.stacks.map { stack in
            stack.spreadKey >= 0 ? Array(repeating: 0, count: stacks.spreadKeys[Int(stack.spreadKey)].valueCount) : []
        }
        self.freeCPU = machines.allocatableCPU
        self.freeMemory = machines.allocatableMemory
        self.freeDisk = machines.allocatableDisk
        self.ports = machines.outsidePorts
        self.stackCounts = Array(repeating: [], count: machines.count)
        self.residents = Array(repeating: [], count: placeLinks.hasByName ? machines.count : 0)
        self.placedOn = Array(repeating: -1, count: instances.count)
        self.outcomes = Array(repeating: .pending, count: instances.count)
        var avoided: [Int32: Set<Int32>] = [:]
        for (name, ids) in request.avoid {
            guard let instance = instances.idByName[name] else { continue }
            let positions = Set(ids.compactMap { machines.positions[$0] })
            if !positions.isEmpty { avoided[instance] = positions }
        }
        self.avoided = avoided
    }
}
