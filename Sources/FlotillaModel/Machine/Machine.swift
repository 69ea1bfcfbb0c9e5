/// A host running `flotilla agent`: identity, labels and capacity.
public struct Machine: Sendable, Hashable, Codable, Identifiable {
    /// The persisted machine ID (32 hex characters for real agents; any non-empty text in tests).
    public var id: String
    /// Labels used by placement rules.
    public var metadata: Metadata
    /// What the machine offers to units. `ports` lists ports that are already taken by
    /// something outside Flotilla (they are unavailable to units).
    public var capacity: Resources

    public init(id: String, metadata: Metadata = Metadata(), capacity: Resources) {
        self.id = id
        self.metadata = metadata
        self.capacity = capacity
    }

    /// fleet's short ID: the first 8 characters.
    public var shortID: String { String(id.prefix(8)) }

    /// fleet's `MachineID=` matching: the full ID or the 8-character short ID.
    public func matches(machineID: String) -> Bool {
        machineID == id || (machineID.count == 8 && machineID == shortID)
    }
}
