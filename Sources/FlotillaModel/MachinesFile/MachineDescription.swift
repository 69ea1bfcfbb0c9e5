/// One machine of a described (offline) cluster: what `flotilla plan --machines FILE` plans
/// against instead of a live store.
public struct MachineDescription: Sendable, Hashable {
    /// Identity, metadata and capacity.
    public var machine: Machine
    /// Capacity kept back for things outside Flotilla (the OS, the agent); not schedulable.
    public var reserved: Resources
    /// False for a machine described as `down: true` (its lease has expired).
    public var alive: Bool
    /// Instances already running there (`lamp@1`), in written order.
    public var running: [String]

    public init(machine: Machine, reserved: Resources = .zero, alive: Bool = true, running: [String] = []) {
        self.machine = machine
        self.reserved = reserved
        self.alive = alive
        self.running = running
    }
}
