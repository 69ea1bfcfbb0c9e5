/// What a machine's subnet lease says about it: flannel's `LeaseAttrs`, the value at
/// `<prefix>/subnets/<a.b.c.d>-<len>`. Written in flannel's field order and spelling, so
/// flannel and Flotilla machines can read each other's leases:
/// `{"PublicIP":"192.168.64.3","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}`.
public struct LeaseAttributes: Sendable, Hashable {
    /// The address other machines send overlay traffic to (the external interface's).
    public var publicIP: IPv4Address
    /// `vxlan` or `host-gw` (another machine's lease may name a backend this one lacks).
    public var backendType: String
    /// vxlan only: the VNI and the MAC address of the machine's `flannel.<VNI>` device.
    public var vxlan: (vni: UInt32, vtepMAC: String)?

    public init(publicIP: IPv4Address, backendType: String, vxlan: (vni: UInt32, vtepMAC: String)? = nil) {
        self.publicIP = publicIP
        self.backendType = backendType
        self.vxlan = vxlan
    }

    /// Reads a lease value written by flannel or Flotilla; nil when it is not one.
    public init?(json: [UInt8]) {
        guard let fields = JSONValue.parse(json)?.object, let ip = fields["PublicIP"]?.string,
              let address = IPv4Address(ip) else { return nil }
        publicIP = address
        backendType = fields["BackendType"]?.string ?? ""
        if let data = fields["BackendData"]?.object, let vni = data["VNI"]?.integer, let mac = data["VtepMAC"]?.string {
            vxlan = (UInt32(clamping: vni), mac)
        }
    }

    /// The value as flannel writes it (Go's encoding of its struct: fields in declaration
    /// order, `BackendData` left out when empty).
    public var json: [UInt8] {
        var text = "{\"PublicIP\":\"\(publicIP)\",\"PublicIPv6\":null,\"BackendType\":\"\(backendType)\""
        if let vxlan { text += ",\"BackendData\":{\"VNI\":\(vxlan.vni),\"VtepMAC\":\"\(vxlan.vtepMAC)\"}" }
        return Array((text + "}").utf8)
    }

    public static func == (a: LeaseAttributes, b: LeaseAttributes) -> Bool {
        a.publicIP == b.publicIP && a.backendType == b.backendType && a.vxlan?.vni == b.vxlan?.vni && a.vxlan?.vtepMAC == b.vxlan?.vtepMAC
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(publicIP)
        hasher.combine(backendType)
        hasher.combine(vxlan?.vni)
        hasher.combine(vxlan?.vtepMAC)
    }
}

/// Which subnet a machine takes, decided as flannel does (`tryAcquireLease`), from the
/// leases in the store, the machine's public address and the subnet it had before (from its
/// subnet file):
/// 1. a lease with this machine's public address that still fits the config is kept (its
///    TTL renewed); one that no longer fits is deleted;
/// 2. else the previous subnet, when it fits and nobody holds it;
/// 3. else a random free subnet between `SubnetMin` and `SubnetMax` (among the first 100
///    free ones, as flannel picks).
/// The shell writes the choice with create-if-absent, so two machines never share a subnet;
/// a lost race is decided again on fresh leases.
public enum SubnetChoice: Sendable, Hashable {
    /// Keep this existing lease of ours (renew it).
    case keep(IPv4Subnet)
    /// Create a lease for this subnet.
    case take(IPv4Subnet)
    /// Every subnet is held.
    case exhausted

    /// Decides. `stale` receives our leases that no longer fit the config (to delete);
    /// `random` picks an index below its argument.
    public static func decide(config: NetworkConfig, leases: [IPv4Subnet: LeaseAttributes], publicIP: IPv4Address,
                              previous: IPv4Subnet?, stale: inout [IPv4Subnet],
                              random: (Int) -> Int) -> SubnetChoice {
        var kept: IPv4Subnet?
        for (subnet, attributes) in leases.sorted(by: { $0.key.address < $1.key.address }) where attributes.publicIP == publicIP {
            if kept == nil, config.fits(subnet) { kept = subnet } else { stale.append(subnet) }
        }
        if let kept { return .keep(kept) }
        let held = leases.keys.filter { !stale.contains($0) }
        if let previous, config.fits(previous), !held.contains(where: { $0.overlaps(previous) }) {
            return .take(previous)
        }
        var free: [IPv4Subnet] = []
        let step = UInt64(1) << UInt64(32 - config.subnetLength)
        var next = UInt64(config.subnetMin.value)
        while next <= UInt64(config.subnetMax.value), free.count < 100 {
            let candidate = IPv4Subnet(IPv4Address(UInt32(next)), prefixLength: config.subnetLength)!
            if !held.contains(where: { $0.overlaps(candidate) }) { free.append(candidate) }
            next += step
        }
        guard !free.isEmpty else { return .exhausted }
        return .take(free[random(free.count)])
    }
}

extension NetworkConfig {
    /// Whether `subnet` is one this config hands out: the subnet length, inside the network,
    /// between SubnetMin and SubnetMax.
    public func fits(_ subnet: IPv4Subnet) -> Bool {
        subnet.prefixLength == subnetLength && network.contains(subnet.address)
            && subnet.address >= subnetMin && subnet.address <= subnetMax
    }
}
