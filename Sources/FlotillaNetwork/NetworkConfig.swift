
/// The overlay network's configuration: flannel's JSON at `<prefix>/config` (default prefix
/// `/coreos.com/network`), with flannel's defaults and checks (`CheckNetworkConfig`), so an
/// existing flannel config works unchanged. IPv4 only for now; the IPv6 keys and the
/// backends other than vxlan and host-gw are refused as not supported yet, and unknown keys
/// are refused (a typo would otherwise be ignored, as flannel does).
public struct NetworkConfig: Sendable, Hashable {
    /// The whole overlay network, e.g. `10.5.0.0/16`.
    public var network: IPv4Subnet
    /// The size of each machine's subnet (24 when the network is /22 or larger, else the
    /// network's prefix + 2).
    public var subnetLength: Int
    /// The first and last subnet handed out (default: the second subnet of the network, the
    /// first colliding with the network address, and the last one).
    public var subnetMin: IPv4Address
    public var subnetMax: IPv4Address
    /// How machines reach each other's subnets.
    public var backend: Backend

    /// The backend: how packets for another machine's subnet travel.
    public enum Backend: Sendable, Hashable {
        /// VXLAN encapsulation over UDP on device `flannel.<vni>`.
        case vxlan(VXLAN)
        /// A plain route per remote subnet via that machine's address (all machines on one L2 network).
        case hostGateway

        /// flannel's `BackendType` text.
        public var type: String {
            switch self {
            case .vxlan: "vxlan"
            case .hostGateway: "host-gw"
            }
        }
    }

    /// The vxlan backend's options (flannel's names).
    public struct VXLAN: Sendable, Hashable {
        /// The VXLAN network identifier (default 1); the device is `flannel.<vni>`.
        public var vni: UInt32 = 1
        /// The UDP port (default 8472, the Linux kernel's own default).
        public var port: Int = 8472
        /// The device's MTU; default the external interface's MTU minus 50.
        public var mtu: Int?
        /// Peers on the same L2 subnet get a plain route via their address instead.
        public var directRouting = false

        public init() {}
    }

    /// Parses and checks flannel's JSON; `key` names where it was read from, for errors.
    public init(json: [UInt8], key: String = "/coreos.com/network/config") throws {
        let problem = { (field: String, message: String) in NetworkConfigError(key: key, field: field, message: message) }
        guard let fields = JSONValue.parse(json)?.object else {
            throw problem("", "is not a JSON object (flannel's format: {\"Network\": \"10.5.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}})")
        }
        let known: Set = ["Network", "SubnetLen", "SubnetMin", "SubnetMax", "Backend", "EnableIPv4", "EnableIPv6",
                          "EnableNFTables", "IPv6Network", "IPv6SubnetLen", "IPv6SubnetMin", "IPv6SubnetMax"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw problem(unknown, "is not a flannel network config key (they are \(known.sorted().joined(separator: ", ")))")
        }
        if let enabled = fields["EnableIPv4"] {
            guard let on = enabled.bool else { throw problem("EnableIPv4", "must be true or false") }
            if !on { throw problem("EnableIPv4", "false is not supported yet: the overlay is IPv4 only") }
        }
        if let enabled = fields["EnableIPv6"], enabled.bool != false {
            throw problem("EnableIPv6", enabled.bool == nil ? "must be true or false" : "is not supported yet: the overlay is IPv4 only")
        }
        for key in ["IPv6Network", "IPv6SubnetLen", "IPv6SubnetMin", "IPv6SubnetMax"] where fields[key] != nil {
            throw problem(key, "is not supported yet: the overlay is IPv4 only")
        }
        if let nft = fields["EnableNFTables"] {
            guard let on = nft.bool else { throw problem("EnableNFTables", "must be true or false") }
            if !on { throw problem("EnableNFTables", "false is not supported: Flotilla masquerades with nftables only (leave the key out, or set it true)") }
        }

        guard let networkText = fields["Network"]?.string, let network = IPv4Subnet(networkText) else {
            throw problem("Network", fields["Network"] == nil ? "is missing (e.g. \"Network\": \"10.5.0.0/16\")"
                                                              : "must be an IPv4 network such as \"10.5.0.0/16\"")
        }
        let subnetLength: Int
        if let length = fields["SubnetLen"], length.integer != 0 {
            guard let value = length.integer else { throw problem("SubnetLen", "must be a whole number") }
            guard value <= 30 else { throw problem("SubnetLen", "must be at most 30 (each subnet needs room for a gateway and instances)") }
            guard value >= network.prefixLength + 2 else {
                throw problem("SubnetLen", "must be at least the Network's prefix + 2 (/\(network.prefixLength + 2)): the network must hold at least four subnets")
            }
            subnetLength = value
        } else {
            guard network.prefixLength <= 28 else { throw problem("Network", "is too small: the smallest useful network is a /28") }
            subnetLength = network.prefixLength <= 22 ? 24 : network.prefixLength + 2
        }
        let subnetSize = UInt32(1) << UInt32(32 - subnetLength)
        let alignment = IPv4Subnet.mask(subnetLength)
        func bound(_ key: String, default value: UInt32) throws -> IPv4Address {
            guard let raw = fields[key] else { return IPv4Address(value) }
            guard let text = raw.string, let address = IPv4Address(text) else { throw problem(key, "must be an IPv4 address such as \"10.5.1.0\"") }
            if address.value == 0 { return IPv4Address(value) }
            guard network.contains(address) else { throw problem(key, "\(address) is not in the Network \(network)") }
            guard address.value & alignment == address.value else {
                throw problem(key, "\(address) is not on a /\(subnetLength) boundary (SubnetLen)")
            }
            return address
        }
        subnetMin = try bound("SubnetMin", default: network.address.value &+ subnetSize)
        subnetMax = try bound("SubnetMax", default: network.last.value &- subnetSize &+ 1)
        guard subnetMin <= subnetMax else { throw problem("SubnetMin", "\(subnetMin) is after SubnetMax \(subnetMax)") }
        self.network = network
        self.subnetLength = subnetLength
        backend = try Self.backend(fields["Backend"], problem: problem)
    }

    private static func backend(_ raw: JSONValue?, problem: (String, String) -> NetworkConfigError) throws -> Backend {
        // flannel's documentation names vxlan as the default (its code picks udp, which Flotilla does not have).
        guard let raw else { return .vxlan(VXLAN()) }
        guard let fields = raw.object else { throw problem("Backend", "must be an object such as {\"Type\": \"vxlan\"}") }
        let type = fields["Type"]?.string ?? ""
        switch type {
        case "vxlan":
            var vxlan = VXLAN()
            let known: Set = ["Type", "VNI", "Port", "MTU", "DirectRouting", "GBP", "Learning"]
            if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
                throw problem("Backend.\(unknown)", "is not a vxlan option (they are VNI, Port, MTU, DirectRouting)")
            }
            for flag in ["GBP", "Learning"] where fields[flag] != nil && fields[flag]?.bool != false {
                throw problem("Backend.\(flag)", "is not supported yet")
            }
            if let vni = fields["VNI"] {
                guard let value = vni.integer, (0...0xFF_FFFF).contains(value) else { throw problem("Backend.VNI", "must be a whole number from 0 to 16777215") }
                vxlan.vni = UInt32(value == 0 ? 1 : value)
            }
            if let port = fields["Port"] {
                guard let value = port.integer, (0...65535).contains(value) else { throw problem("Backend.Port", "must be a UDP port number") }
                if value != 0 { vxlan.port = value }
            }
            if let mtu = fields["MTU"] {
                guard let value = mtu.integer, value == 0 || (576...65535).contains(value) else {
                    throw problem("Backend.MTU", "must be a whole number from 576 to 65535")
                }
                vxlan.mtu = value == 0 ? nil : value
            }
            if let direct = fields["DirectRouting"] {
                guard let value = direct.bool else { throw problem("Backend.DirectRouting", "must be true or false") }
                vxlan.directRouting = value
            }
            return .vxlan(vxlan)
        case "host-gw":
            if let unknown = fields.keys.sorted().first(where: { $0 != "Type" }) {
                throw problem("Backend.\(unknown)", "host-gw takes no options")
            }
            return .hostGateway
        case "udp", "wireguard", "ipip", "ipsec", "alloc", "extension", "tencent-vpc", "ali-vpc", "aws-vpc", "gce":
            throw problem("Backend.Type", "\"\(type)\" is not supported yet (vxlan and host-gw are)")
        case "":
            throw problem("Backend.Type", "is missing (vxlan or host-gw)")
        default:
            throw problem("Backend.Type", "\"\(type)\" is not a backend (vxlan or host-gw)")
        }
    }
}

/// A network config that flannel's rules refuse: where it was read, which field, and why.
public struct NetworkConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var field: String
    public var message: String

    public var description: String {
        "network config \(key): " + (field.isEmpty ? message : "\(field) \(message)")
    }
}
