import FlotillaModel
import Foundation
import Synchronization

/// What this machine's overlay offers its instances: the subnet it holds (its gateway is on
/// the `flotilla0` bridge) and the MTU of the overlay.
package struct LocalOverlay: Sendable, Hashable {
    package var subnet: IPv4Subnet
    package var mtu: Int

    package init(subnet: IPv4Subnet, mtu: Int) {
        self.subnet = subnet; self.mtu = mtu
    }
}

/// The machine's overlay as ``OverlayNetwork`` last set it up, for ``InstanceNetworks``: nil
/// until the machine holds a subnet (no config yet, or `--no-overlay`).
package final class OverlayState: Sendable {
    private let state = Mutex<LocalOverlay?>(nil)

    package init() {}

    /// What instances get now.
    package var current: LocalOverlay? { state.withLock { $0 } }

    /// Called by the overlay service once the bridge owns the subnet's gateway.
    package func set(_ overlay: LocalOverlay?) { state.withLock { $0 = overlay } }
}

/// One instance's place on the overlay: its network namespace, the bridge end of its veth
/// pair, and its address (the namespace's `eth0`).
package struct InstanceAttachment: Sendable, Hashable, Codable {
    /// The named network namespace (`/run/netns/<namespace>`), `flotilla-<10 characters>`.
    package var namespace: String
    /// The veth end on the `flotilla0` bridge, `fv<10 characters>` (interface names have at
    /// most 15 bytes).
    package var hostInterface: String
    /// The instance's address, dotted.
    package var address: String
    /// The subnet's prefix length.
    package var prefixLength: Int
    /// The machine's ports forwarded to the instance.
    package var forwards: [PortForward]

    package init(namespace: String, hostInterface: String, address: String, prefixLength: Int, forwards: [PortForward] = []) {
        self.namespace = namespace; self.hostInterface = hostInterface; self.address = address; self.prefixLength = prefixLength
        self.forwards = forwards
    }

    private enum CodingKeys: String, CodingKey { case namespace, hostInterface, address, prefixLength, forwards }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(namespace: try c.decode(String.self, forKey: .namespace), hostInterface: try c.decode(String.self, forKey: .hostInterface),
                  address: try c.decode(String.self, forKey: .address), prefixLength: try c.decode(Int.self, forKey: .prefixLength),
                  forwards: try c.decodeIfPresent([PortForward].self, forKey: .forwards) ?? [])
    }
}

/// One of the machine's ports forwarded to a port of an instance.
package struct PortForward: Sendable, Hashable, Codable {
    /// The machine's port.
    package var host: Int
    /// The instance's port.
    package var port: Int
    /// `tcp` or `udp`.
    package var transport: NamedPort.Transport

    package init(host: Int, port: Int, transport: NamedPort.Transport) {
        self.host = host; self.port = port; self.transport = transport
    }

    /// What an instance of `units` gets forwarded: each named port's host port to that port
    /// (its protocol), and every other `resources.ports` entry to the same port (TCP and UDP).
    package static func all(of units: [UnitSpec]) -> [PortForward] {
        let named = units.flatMap(\.ports).compactMap { port in port.host.map { PortForward(host: $0, port: port.port, transport: port.transport) } }
        let hosts = Set(named.map(\.host))
        let plain = units.flatMap(\.resources.ports).filter { !hosts.contains($0) }
            .flatMap { port in NamedPort.Transport.allCases.map { PortForward(host: port, port: port, transport: $0) } }
        return named + plain
    }
}

/// Makes and removes instances' network namespaces on the machine's overlay (a stack's
/// `network: overlay`): a named namespace with loopback and `eth0` (one end of a veth pair,
/// the other on `flotilla0`), an address from the machine's subnet (the lowest free one
/// after the gateway), the gateway as default route, and the overlay's MTU. Its
/// `/etc/netns/<namespace>/resolv.conf` names the gateway (``DiscoveryDNS``) with search
/// domain `flotilla.`; `ip netns exec` puts it in place of `/etc/resolv.conf` for the units.
/// The machine's ports are forwarded to the instance (``PortForward``) for traffic addressed
/// to one of the machine's own addresses (nftables table `ip flotilla_ports`: one map per
/// protocol from host port to instance address and port).
///
/// Named namespaces outlive the agent, so an agent restart leaves running instances and
/// their addresses alone; which addresses are taken is what the supervisor's runs record.
package struct InstanceNetworks: Sendable {
    let overlay: OverlayState
    let kernel: IPRoute2

    package init(overlay: OverlayState, kernel: IPRoute2 = IPRoute2()) {
        self.overlay = overlay; self.kernel = kernel
    }

    /// A namespace for one run of an instance, named after `seed` (the instance and the run's
    /// serial), with the lowest address of the subnet not in `taken`, and `forwards` from the
    /// machine's ports.
    package func attach(seed: String, taken: Set<String>, forwards: [PortForward] = []) throws -> InstanceAttachment {
        guard let local = overlay.current else {
            throw NetworkKernelError("network: overlay needs this machine's overlay network, which it does not have (no config at the network prefix yet, the overlay is still starting, or the agent runs with --no-overlay)")
        }
        let subnet = local.subnet
        var candidate = subnet.gateway.value &+ 1
        while candidate < subnet.last.value, taken.contains(IPv4Address(candidate).description) { candidate &+= 1 }
        guard candidate < subnet.last.value else {
            throw NetworkKernelError("network: overlay: every address of this machine's subnet \(subnet) is taken")
        }
        let tag = Self.tag(seed)
        let attachment = InstanceAttachment(namespace: "flotilla-" + tag, hostInterface: "fv" + tag,
                                            address: IPv4Address(candidate).description, prefixLength: subnet.prefixLength,
                                            forwards: forwards)
        do {
            // Two `ip -batch` runs (the machine's side, then the namespace's): a process per
            // command would cost more than the kernel's work.
            try kernel.run("ip", ["-batch", "-"], input: [
                "netns add \(attachment.namespace)",
                "link add \(attachment.hostInterface) mtu \(local.mtu) type veth peer name eth0 mtu \(local.mtu) netns \(attachment.namespace)",
                "link set \(attachment.hostInterface) master \(OverlayDevices.bridge) up",
            ].joined(separator: "\n") + "\n")
            try kernel.run("ip", ["-n", attachment.namespace, "-batch", "-"], input: [
                "link set lo up",
                "addr add \(attachment.address)/\(subnet.prefixLength) dev eth0",
                "link set eth0 up",
                "route add default via \(subnet.gateway)",
            ].joined(separator: "\n") + "\n")
            try Self.writeResolver(namespace: attachment.namespace, nameserver: subnet.gateway)
            if !forwards.isEmpty { try forward(forwards, to: attachment.address) }
        } catch {
            detach(attachment)
            throw error
        }
        return attachment
    }

    /// Whether the namespace is still there (named namespaces do not survive a reboot).
    package func exists(_ attachment: InstanceAttachment) -> Bool {
        FileManager.default.fileExists(atPath: "/run/netns/" + attachment.namespace)
    }

    /// Removes the namespace (its veth pair goes with it); best effort, for stopped instances.
    package func detach(_ attachment: InstanceAttachment) {
        for forward in attachment.forwards {
            _ = try? kernel.execute("nft", ["delete element ip \(Self.portsTable) \(forward.transport.rawValue)_ports { \(forward.host) }"])
        }
        _ = try? kernel.execute("ip", ["link", "delete", attachment.hostInterface])
        _ = try? kernel.execute("ip", ["netns", "delete", attachment.namespace])
        try? FileManager.default.removeItem(atPath: Self.netnsEtc + attachment.namespace)
    }

    /// The nftables table of forwarded host ports.
    static let portsTable = "flotilla_ports"

    /// Adds `forwards` to `address` to the maps, making the table first when it is missing (it
    /// is never flushed: after an agent restart it still holds the running instances' ports).
    private func forward(_ forwards: [PortForward], to address: String) throws {
        if (try? kernel.execute("nft", ["list", "table", "ip", Self.portsTable]))?.0 != 0 {
            var commands = ["add table ip \(Self.portsTable)"]
            for map in ["tcp", "udp"] { commands.append("add map ip \(Self.portsTable) \(map)_ports { type inet_service : ipv4_addr . inet_service; }") }
            for (chain, hook, priority) in [("prerouting", "prerouting", "dstnat"), ("output", "output", "-100")] {
                commands.append("add chain ip \(Self.portsTable) \(chain) { type nat hook \(hook) priority \(priority); policy accept; }")
                for map in ["tcp", "udp"] {
                    commands.append("add rule ip \(Self.portsTable) \(chain) fib daddr type local dnat ip to \(map) dport map @\(map)_ports")
                }
            }
            do {
                for command in commands { try kernel.run("nft", [command]) }
            } catch {
                _ = try? kernel.execute("nft", ["delete", "table", "ip", Self.portsTable])
                throw error
            }
        }
        for forward in forwards {
            try kernel.run("nft", ["add element ip \(Self.portsTable) \(forward.transport.rawValue)_ports { \(forward.host) : \(address) . \(forward.port) }"])
        }
    }

    /// Where `ip netns exec` finds a namespace's own `/etc` files.
    package static let netnsEtc = "/etc/netns/"

    /// The namespace's `resolv.conf`: discovery first, `flotilla.` searched for bare names.
    static func writeResolver(namespace: String, nameserver: IPv4Address) throws {
        let directory = netnsEtc + namespace
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "nameserver \(nameserver)\nsearch flotilla\n".write(toFile: directory + "/resolv.conf", atomically: true, encoding: .utf8)
        } catch {
            throw NetworkKernelError("cannot write \(directory)/resolv.conf: \(error.localizedDescription)")
        }
    }

    /// Ten lowercase base-36 characters from `seed` (FNV-1a, 64 bits).
    static func tag(_ seed: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let text = String(hash, radix: 36)
        return String(String(repeating: "0", count: max(0, 10 - text.count)) + text.suffix(10))
    }
}
