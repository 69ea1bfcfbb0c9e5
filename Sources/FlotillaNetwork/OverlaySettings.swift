/// How a machine takes part in the overlay network (the agent's `--network-prefix`,
/// `--subnet-file`, `--iface`, `--ip-masq`; `--no-overlay` leaves the service out).
package struct OverlaySettings: Sendable, Hashable {
    /// flannel's `--etcd-prefix`: the config is at `<prefix>/config`, the leases under
    /// `<prefix>/subnets/`.
    package var prefix = "/coreos.com/network"
    /// Where the subnet file goes (flannel's `--subnet-file`).
    package var subnetFile = "/run/flannel/subnet.env"
    /// The external interface, by name or IPv4 address (flannel's `--iface`); nil: the
    /// default route's.
    package var interface: String?
    /// Masquerade traffic from the overlay leaving it (flannel's `--ip-masq`).
    package var ipMasquerade = false

    package init() {}
}
