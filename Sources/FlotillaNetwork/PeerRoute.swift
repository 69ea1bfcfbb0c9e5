/// What the kernel holds for one other machine's subnet lease: flannel's entries, so a
/// machine running flannel and one running Flotilla route to each other.
/// - vxlan: a neighbour entry (the remote subnet's first address → the remote VTEP MAC), a
///   forwarding entry (that MAC → the remote PublicIP) and a route (the subnet via its first
///   address, on `flannel.<VNI>`, onlink); with DirectRouting and the peer on this machine's
///   own L2 network, a plain route via its PublicIP instead.
/// - host-gw: a route to the subnet via the peer's PublicIP on the external interface.
package struct PeerRoute: Sendable, Hashable {
    package var subnet: IPv4Subnet
    package var path: Path

    package enum Path: Sendable, Hashable {
        case vxlan(device: String, mac: String, publicIP: IPv4Address)
        case direct(via: IPv4Address, interface: String)
    }

    /// The entries for `attributes`' lease of `subnet` under `backend`, or nil when the lease
    /// is of another backend (flannel ignores those too) or lacks what the backend needs.
    package static func entries(subnet: IPv4Subnet, attributes: LeaseAttributes, backend: NetworkConfig.Backend,
                                interface: IPRoute2.Interface) -> PeerRoute? {
        let local = IPv4Subnet(interface.address, prefixLength: interface.prefixLength)
        switch backend {
        case .vxlan(let vxlan):
            guard attributes.backendType == "vxlan", let remote = attributes.vxlan else { return nil }
            if vxlan.directRouting, local?.contains(attributes.publicIP) == true {
                return PeerRoute(subnet: subnet, path: .direct(via: attributes.publicIP, interface: interface.name))
            }
            return PeerRoute(subnet: subnet, path: .vxlan(device: OverlayDevices.vxlan(vxlan.vni), mac: remote.vtepMAC,
                                                          publicIP: attributes.publicIP))
        case .hostGateway:
            guard attributes.backendType == "host-gw" else { return nil }
            return PeerRoute(subnet: subnet, path: .direct(via: attributes.publicIP, interface: interface.name))
        }
    }
}

extension IPRoute2 {
    /// Programs `peer`'s entries (replacing what is there), the route last.
    package func add(_ peer: PeerRoute) throws {
        switch peer.path {
        case .vxlan(let device, let mac, let publicIP):
            try run("ip", ["neigh", "replace", "\(peer.subnet.address)", "lladdr", mac, "dev", device, "nud", "permanent"])
            try run("bridge", ["fdb", "replace", mac, "dev", device, "dst", "\(publicIP)", "self", "permanent"])
            try run("ip", ["route", "replace", "\(peer.subnet)", "via", "\(peer.subnet.address)", "dev", device, "onlink"])
        case .direct(let via, let interface):
            try run("ip", ["route", "replace", "\(peer.subnet)", "via", "\(via)", "dev", interface])
        }
    }

    /// Removes `peer`'s entries, and only those; entries already gone are no error.
    package func remove(_ peer: PeerRoute) {
        switch peer.path {
        case .vxlan(let device, let mac, let publicIP):
            _ = try? execute("ip", ["route", "del", "\(peer.subnet)", "via", "\(peer.subnet.address)", "dev", device])
            _ = try? execute("ip", ["neigh", "del", "\(peer.subnet.address)", "dev", device])
            _ = try? execute("bridge", ["fdb", "del", mac, "dev", device, "dst", "\(publicIP)", "self"])
        case .direct(let via, let interface):
            _ = try? execute("ip", ["route", "del", "\(peer.subnet)", "via", "\(via)", "dev", interface])
        }
    }

    /// Masquerades traffic from the overlay `network` leaving it (flannel's `--ip-masq`), in
    /// nftables table `ip flotilla_overlay`, made anew.
    package func masquerade(_ network: IPv4Subnet) throws {
        _ = try? execute("nft", ["delete", "table", "ip", "flotilla_overlay"])
        try run("nft", ["add table ip flotilla_overlay"])
        try run("nft", ["add chain ip flotilla_overlay postrouting { type nat hook postrouting priority srcnat; policy accept; }"])
        try run("nft", ["add rule ip flotilla_overlay postrouting ip saddr \(network) ip daddr \(network) return"])
        try run("nft", ["add rule ip flotilla_overlay postrouting ip saddr \(network) ip daddr != 224.0.0.0/4 masquerade"])
    }
}
