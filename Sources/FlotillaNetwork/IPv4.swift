/// An IPv4 address as its 32-bit value (network order read as a number: 10.5.0.1 is
/// 0x0A050001), so subnets are arithmetic.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address as a number.
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Parses a dotted quad (`10.5.0.1`); nil for anything else (no shortened forms, no
    /// leading zeros that other parsers read as octal).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber),
                  part == "0" || !part.hasPrefix("0"), let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        self.value = value
    }

    /// The four bytes, most significant first.
    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    public var description: String { bytes.map(String.init).joined(separator: ".") }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }
}

/// An IPv4 network, `address/prefixLength`, with the address masked to the prefix (as
/// flannel and Go's `net.ParseCIDR` hold it).
public struct IPv4Subnet: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the subnet.
    public let address: IPv4Address
    /// The prefix length, 0–32.
    public let prefixLength: Int

    /// `address` masked to `prefixLength` (0–32, else nil).
    public init?(_ address: IPv4Address, prefixLength: Int) {
        guard (0...32).contains(prefixLength) else { return nil }
        self.address = IPv4Address(address.value & Self.mask(prefixLength))
        self.prefixLength = prefixLength
    }

    /// Parses `a.b.c.d/n`; host bits are cleared (`10.5.0.1/16` is `10.5.0.0/16`).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(parts[0]), parts[1].allSatisfy(\.isNumber),
              parts[1].count <= 2, let length = Int(parts[1]) else { return nil }
        self.init(address, prefixLength: length)
    }

    /// Parses a flannel subnet key's last part, `10.5.52.0-24`.
    public init?(leaseKey text: some StringProtocol) {
        guard let dash = text.lastIndex(of: "-") else { return nil }
        self.init(text[..<dash] + "/" + text[text.index(after: dash)...])
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

    /// The netmask as a number.
    public var mask: UInt32 { Self.mask(prefixLength) }
    /// How many addresses it spans.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }
    /// The last address.
    public var last: IPv4Address { IPv4Address(address.value | ~mask) }
    /// The first usable address: the gateway of a machine's subnet (flannel's `FLANNEL_SUBNET`).
    public var gateway: IPv4Address { IPv4Address(address.value &+ 1) }

    public func contains(_ other: IPv4Address) -> Bool { other.value & mask == address.value }

    public func overlaps(_ other: IPv4Subnet) -> Bool {
        contains(other.address) || other.contains(address)
    }

    /// `10.5.52.0/24`.
    public var description: String { "\(address)/\(prefixLength)" }
    /// `10.5.52.0-24`, the last part of a flannel lease key.
    public var leaseKey: String { "\(address)-\(prefixLength)" }
}
