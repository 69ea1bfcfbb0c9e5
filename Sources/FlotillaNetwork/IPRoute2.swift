import Foundation

/// The kernel's network state, read and changed through iproute2 (`ip`, `bridge`) and
/// nftables (`nft`): a handful of short commands per change, each checked, with the tool's
/// own error in ours. Chosen over a netlink module of our own because the overlay changes the
/// kernel rarely (once per machine joining or leaving), iproute2 is on every Linux machine,
/// and its commands are what an operator types to see the same state (`ip route`,
/// `bridge fdb`, `ip neigh`).
package struct IPRoute2: Sendable {
    /// The network namespace the commands act in (`ip netns exec`); nil: the process's own.
    package var namespace: String?

    package init(namespace: String? = nil) {
        self.namespace = namespace
    }

    /// Runs `tool` with `arguments` in ``namespace`` (with `input` on its standard input);
    /// throws with its output when it fails.
    @discardableResult
    package func run(_ tool: String, _ arguments: [String], input: String? = nil) throws -> String {
        let (status, output) = try execute(tool, arguments, input: input)
        guard status == 0 else {
            throw NetworkKernelError("\(tool) \(arguments.joined(separator: " ")) failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return output
    }

    /// Runs `tool` in ``namespace`` and returns its status and output.
    func execute(_ tool: String, _ arguments: [String], input: String? = nil) throws -> (Int32, String) {
        guard let namespace else { return try Self.execute(tool, arguments, input: input) }
        return try Self.execute("ip", ["netns", "exec", namespace, tool] + arguments, input: input)
    }

    /// Runs `tool` (a name looked up in the system directories, or a path) and returns its
    /// status and output (stdout and stderr together); `input` goes to its standard input.
    package static func execute(_ tool: String, _ arguments: [String], input: String? = nil) throws -> (Int32, String) {
        let candidates = tool.hasPrefix("/") ? [tool] : ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + tool }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw NetworkKernelError("\(tool) is not installed (apt-get install iproute2 nftables)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        try process.run()
        if let stdin, let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    // MARK: Interfaces

    /// The machine's interface toward the other machines.
    package struct Interface: Sendable, Hashable {
        package var name: String
        package var address: IPv4Address
        package var prefixLength: Int
        package var mtu: Int
    }

    /// The interface named `choice` (a name, or one of its IPv4 addresses: flannel's
    /// `--iface`), or the one of the default route, or else the first with an IPv4 address
    /// other than loopback.
    package func externalInterface(_ choice: String?) throws -> Interface {
        let lines = try run("ip", ["-o", "-4", "addr", "show"]).split(separator: "\n")
        var candidates: [Interface] = []
        for line in lines {
            // 2: eth0    inet 198.18.5.1/24 brd 198.18.5.255 scope global eth0\       valid_lft …
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[2] == "inet", let subnet = fields[3].split(separator: "/").first,
                  let address = IPv4Address(subnet), let length = fields[3].split(separator: "/").last.flatMap({ Int($0) }) else { continue }
            let name = String(fields[1])
            candidates.append(Interface(name: name, address: address, prefixLength: length, mtu: try mtu(of: name)))
        }
        if let choice {
            guard let found = candidates.first(where: { $0.name == choice || $0.address.description == choice }) else {
                throw NetworkKernelError("--iface \(choice): no interface of that name or IPv4 address (\(candidates.map { "\($0.name) \($0.address)" }.joined(separator: ", ")))")
            }
            return found
        }
        let route = try run("ip", ["-4", "route", "show", "default"])
        if let device = route.split(separator: " ").split(separator: "dev").dropFirst().first?.first,
           let found = candidates.first(where: { $0.name == device }) {
            return found
        }
        guard let found = candidates.first(where: { $0.name != "lo" && !$0.name.hasPrefix("flannel.") && $0.name != OverlayDevices.bridge }) else {
            throw NetworkKernelError("no interface with an IPv4 address to reach other machines; give --iface")
        }
        return found
    }

    /// The MTU of interface `name`.
    package func mtu(of name: String) throws -> Int {
        let text = try run("ip", ["-o", "link", "show", "dev", name])
        let fields = text.split(separator: " ")
        guard let index = fields.firstIndex(of: "mtu"), index + 1 < fields.count, let mtu = Int(fields[index + 1]) else {
            throw NetworkKernelError("cannot read the MTU of \(name): \(text)")
        }
        return mtu
    }

    /// The MAC address of interface `name`, or nil when there is no such interface.
    package func mac(of name: String) throws -> String? {
        let (status, text) = try execute("ip", ["-o", "link", "show", "dev", name])
        guard status == 0 else { return nil }
        let fields = text.split(separator: " ")
        guard let index = fields.firstIndex(of: "link/ether"), index + 1 < fields.count else { return nil }
        return String(fields[index + 1])
    }

    // MARK: Devices

    /// Makes `flannel.<vni>` as `vxlan` asks, on `interface` (kept when it already exists with
    /// the same VNI; made again otherwise), up with `mtu`; returns its MAC address.
    package func vxlanDevice(_ vxlan: NetworkConfig.VXLAN, on interface: Interface, mtu: Int) throws -> String {
        let name = OverlayDevices.vxlan(vxlan.vni)
        let details = (try? execute("ip", ["-d", "-o", "link", "show", "dev", name]))?.1 ?? ""
        let matches = details.contains("vxlan id \(vxlan.vni) ") && details.contains("local \(interface.address) ")
            && details.contains("dstport \(vxlan.port) ")
        if !matches {
            _ = try? execute("ip", ["link", "delete", name])
            try run("ip", ["link", "add", name, "type", "vxlan", "id", "\(vxlan.vni)", "local", "\(interface.address)",
                           "dev", interface.name, "dstport", "\(vxlan.port)", "nolearning"])
        }
        try run("ip", ["link", "set", name, "mtu", "\(mtu)", "up"])
        guard let mac = try self.mac(of: name) else { throw NetworkKernelError("\(name) has no MAC address") }
        return mac
    }

    /// Gives `device` exactly the address `address/length` (others removed), and brings it up.
    package func setOnlyAddress(_ device: String, _ address: IPv4Address, prefixLength: Int) throws {
        let current = try run("ip", ["-o", "-4", "addr", "show", "dev", device])
        let wanted = "\(address)/\(prefixLength)"
        for line in current.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if let index = fields.firstIndex(of: "inet"), index + 1 < fields.count, fields[index + 1] != wanted {
                try run("ip", ["addr", "del", String(fields[index + 1]), "dev", device])
            }
        }
        if !current.contains("inet \(wanted) ") { try run("ip", ["addr", "add", wanted, "dev", device]) }
        try run("ip", ["link", "set", device, "up"])
    }

    /// The bridge instances attach to (``OverlayDevices/bridge``), owning `gateway`.
    package func bridge(gateway: IPv4Address, prefixLength: Int, mtu: Int) throws {
        if try mac(of: OverlayDevices.bridge) == nil { try run("ip", ["link", "add", OverlayDevices.bridge, "type", "bridge"]) }
        try run("ip", ["link", "set", OverlayDevices.bridge, "mtu", "\(mtu)"])
        try setOnlyAddress(OverlayDevices.bridge, gateway, prefixLength: prefixLength)
    }

    /// Turns IPv4 forwarding on (the machine routes between its instances and the overlay).
    package func enableForwarding() throws {
        if namespace != nil {
            try run("/bin/sh", ["-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
            return
        }
        do {
            try "1\n".write(toFile: "/proc/sys/net/ipv4/ip_forward", atomically: false, encoding: .utf8)
        } catch {
            throw NetworkKernelError("cannot turn on IPv4 forwarding (/proc/sys/net/ipv4/ip_forward): \(error.localizedDescription)")
        }
    }
}

/// The names of the devices the overlay makes.
package enum OverlayDevices {
    /// The bridge instances attach to; it owns the machine subnet's gateway address.
    package static let bridge = "flotilla0"
    /// The vxlan device, flannel's name.
    package static func vxlan(_ vni: UInt32) -> String { "flannel.\(vni)" }
}

/// Changing the kernel's network state failed; the text has the command and its error.
package struct NetworkKernelError: Error, Sendable, Hashable, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
