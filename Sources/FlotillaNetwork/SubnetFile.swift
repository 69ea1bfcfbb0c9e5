/// flannel's subnet file (`/run/flannel/subnet.env` by default), which CNI plugins and
/// `docker --bip` setups read. The same lines flannel writes:
/// ```
/// FLANNEL_NETWORK=10.5.0.0/16
/// FLANNEL_SUBNET=10.5.72.1/24
/// FLANNEL_MTU=1450
/// FLANNEL_IPMASQ=false
/// ```
/// `FLANNEL_SUBNET` is the subnet's first usable address (its gateway) with the subnet's prefix.
public struct SubnetFile: Sendable, Hashable {
    public var network: IPv4Subnet
    public var subnet: IPv4Subnet
    public var mtu: Int
    public var ipMasquerade: Bool

    public init(network: IPv4Subnet, subnet: IPv4Subnet, mtu: Int, ipMasquerade: Bool) {
        self.network = network
        self.subnet = subnet
        self.mtu = mtu
        self.ipMasquerade = ipMasquerade
    }

    /// The file's text.
    public var text: String {
        "FLANNEL_NETWORK=\(network)\nFLANNEL_SUBNET=\(subnet.gateway)/\(subnet.prefixLength)\nFLANNEL_MTU=\(mtu)\nFLANNEL_IPMASQ=\(ipMasquerade)\n"
    }

    /// The subnet a previous run wrote (`FLANNEL_SUBNET`, masked back to the subnet), or nil
    /// when the text has none. Like flannel, only this line is read back.
    public static func previousSubnet(in text: String) -> IPv4Subnet? {
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("FLANNEL_SUBNET=") {
            return IPv4Subnet(line.dropFirst("FLANNEL_SUBNET=".count))
        }
        return nil
    }
}
