/// An amount of machine resources: what a machine has (capacity) or what a unit asks for
/// (requests). cpu is in millicores, memory and disk in bytes; ports are host ports.
public struct Resources: Sendable, Hashable, Codable {
    /// Millicores (1000 = one core).
    public var cpu: Int64
    /// Bytes of memory.
    public var memory: Int64
    /// Bytes of disk.
    public var disk: Int64
    /// Host ports, sorted, without duplicates.
    public var ports: [Int]

    /// Creates an amount; ports are sorted and deduplicated.
    public init(cpu: Int64 = 0, memory: Int64 = 0, disk: Int64 = 0, ports: [Int] = []) {
        self.cpu = cpu
        self.memory = memory
        self.disk = disk
        self.ports = Array(Set(ports)).sorted()
    }

    /// Nothing.
    public static let zero = Resources()

    /// The sum of two amounts; port lists are merged.
    public static func + (lhs: Resources, rhs: Resources) -> Resources {
        Resources(cpu: lhs.cpu + rhs.cpu, memory: lhs.memory + rhs.memory, disk: lhs.disk + rhs.disk,
                  ports: rhs.ports.isEmpty ? lhs.ports : lhs.ports + rhs.ports)
    }

    /// True when nothing is requested.
    public var isZero: Bool { cpu == 0 && memory == 0 && disk == 0 && ports.isEmpty }

    /// `cpu=500m memory=512Mi disk=1Gi ports=80,443`, omitting zero dimensions.
    public var summary: String {
        var parts: [String] = []
        if cpu > 0 { parts.append("cpu=\(Quantity.formatCPU(cpu))") }
        if memory > 0 { parts.append("memory=\(Quantity.formatBytes(memory))") }
        if disk > 0 { parts.append("disk=\(Quantity.formatBytes(disk))") }
        if !ports.isEmpty { parts.append("ports=\(ports.map(String.init).joined(separator: ","))") }
        return parts.isEmpty ? "none" : parts.joined(separator: " ")
    }
}
