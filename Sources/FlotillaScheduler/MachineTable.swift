import FlotillaModel

/// The machines of one pass, sorted by ID, with what never changes during the pass:
/// identity, liveness, metadata class and allocatable resources (capacity − reserved).
struct MachineTable {
    /// Machine states sorted by ID (duplicate IDs keep the first).
    let states: [MachineState]
    /// Full ID → position.
    let positions: [String: Int32]
    /// Metadata class of every machine: machines with equal metadata share a class, so a
    /// metadata rule is evaluated once per class instead of once per machine.
    let classOf: [Int32]
    /// Metadata of every class.
    let classMetadata: [Metadata]
    /// Liveness per machine.
    let alive: [Bool]
    /// Machines whose lease expired.
    let deadCount: Int
    /// Cordoned (or draining) per machine: no new instances.
    let cordoned: [Bool]
    /// Draining per machine: instances leave.
    let draining: [Bool]
    /// capacity − reserved, per machine, per dimension.
    let allocatableCPU: [Int64]
    /// capacity − reserved memory.
    let allocatableMemory: [Int64]
    /// capacity − reserved disk.
    let allocatableDisk: [Int64]
    /// 1 / allocatable cpu (0 when there is none), for scoring.
    let inverseCPU: [Double]
    /// 1 / allocatable memory (0 when there is none), for scoring.
    let inverseMemory: [Double]
    /// Ports taken by outside software (capacity ports and reserved ports), sorted.
    let outsidePorts: [[Int]]

    /// Builds the table from a snapshot.
    init(_ snapshot: ClusterSnapshot) {
        var seen = Set<String>()
        let sorted = snapshot.machines.sorted { $0.machine.id < $1.machine.id }.filter { seen.insert($0.machine.id).inserted }
        states = sorted
        var positions: [String: Int32] = [:]
        positions.reserveCapacity(sorted.count)
        var classIDs: [Metadata: Int32] = [:]
        var classMetadata: [Metadata] = []
        var classOf: [Int32] = []
        var alive: [Bool] = []
        var cpu: [Int64] = [], memory: [Int64] = [], disk: [Int64] = []
        var inverseCPU: [Double] = [], inverseMemory: [Double] = []
        var ports: [[Int]] = []
        for (position, state) in sorted.enumerated() {
            positions[state.machine.id] = Int32(position)
            let metadata = state.machine.metadata
            if let id = classIDs[metadata] {
                classOf.append(id)
            } else {
                let id = Int32(classMetadata.count)
                classIDs[metadata] = id
                classMetadata.append(metadata)
                classOf.append(id)
            }
            alive.append(state.alive)
            let capacity = state.machine.capacity, reserved = state.reserved
            cpu.append(capacity.cpu - reserved.cpu)
            memory.append(capacity.memory - reserved.memory)
            disk.append(capacity.disk - reserved.disk)
            inverseCPU.append(capacity.cpu - reserved.cpu > 0 ? 1 / Double(capacity.cpu - reserved.cpu) : 0)
            inverseMemory.append(capacity.memory - reserved.memory > 0 ? 1 / Double(capacity.memory - reserved.memory) : 0)
            ports.append(reserved.ports.isEmpty ? capacity.ports : Array(Set(capacity.ports + reserved.ports)).sorted())
        }
        self.positions = positions
        self.classOf = classOf
        self.classMetadata = classMetadata
        self.alive = alive
        self.deadCount = alive.lazy.filter { !$0 }.count
        self.cordoned = sorted.map(\.cordoned)
        self.draining = sorted.map(\.draining)
        self.allocatableCPU = cpu
        self.allocatableMemory = memory
        self.allocatableDisk = disk
        self.inverseCPU = inverseCPU
        self.inverseMemory = inverseMemory
        self.outsidePorts = ports
    }

    /// Number of machines.
    var count: Int { states.count }

    /// The ID of the machine at `position`.
    func id(_ position: Int32) -> String { states[Int(position)].machine.id }

    /// Positions of the machines matching fleet's `MachineID=` (full or 8-character short ID).
    func matching(machineID: String) -> [Int32] {
        if let exact = positions[machineID] { return [exact] }
        guard machineID.count == 8 else { return [] }
        return states.indices.filter { states[$0].machine.matches(machineID: machineID) }.map { Int32($0) }
    }
}
