import Foundation
import Glibc
import Synchronization

/// Machines on a real network for tests and `flotilla dev --netns`: N hosts, each a network
/// namespace with its own address on one bridge, as if each were a machine on a LAN. Tests run
/// real processes in a host (`ip netns exec`), cut hosts off from each other (nftables inside
/// their namespaces), lose or delay their packets (nftables, tc netem), heal, and freeze or kill
/// what they started.
///
/// Addresses come from 198.18.0.0/15, the range RFC 2544 sets aside for benchmark networks,
/// which no real network uses: bed `b` uses `198.18.b.0/24` (hosts `.1`…`.N`, the bridge in the
/// root namespace `.254`, so tests on the host reach every host). Names carry the creating
/// process's ID (`fb<pid>x<bed>…`), so a later run removes what a crashed run left behind.
///
/// ``with(hosts:_:)`` tears everything down when its body returns or throws: the processes it
/// started, the namespaces (with their links, nftables rules and qdiscs) and the bridge.
/// Root only; ``unavailableReason`` says why a bed cannot be made here.
package final class TestBed: Sendable {
    /// One host of the bed.
    package struct Host: Sendable, Hashable {
        /// 1-based position in the bed.
        package let index: Int
        /// The network namespace's name.
        package let namespace: String
        /// Its address on the bed's network.
        package let address: String
        /// Its interface toward the bridge, inside the namespace.
        package let interface = "eth0"
    }

    /// The hosts, in order.
    package let hosts: [Host]
    /// The bridge joining the hosts, in the root namespace.
    package let bridge: String
    /// The bed's network, `198.18.<b>.0/24`.
    package let network: String
    /// The bridge's address (the root namespace's address on the bed).
    package let bridgeAddress: String
    private let prefix: String
    private let processes = Mutex<[Process]>([])

    private static let counter = Atomic<Int>(0)

    /// Why no bed can be made here (not root, or `ip`/`nft`/`tc` missing), or nil.
    package static var unavailableReason: String? {
        if geteuid() != 0 { return "the test bed needs root (network namespaces)" }
        for name in ["ip", "nft", "tc"] where tool(name) == nil {
            return "the test bed needs \(name) (apt-get install iproute2 nftables)"
        }
        return nil
    }

    /// Makes a bed of `count` hosts, runs `body`, and removes everything the bed made.
    package static func with<T>(hosts count: Int, _ body: (TestBed) async throws -> T) async throws -> T {
        precondition((1...250).contains(count))
        removeLeftovers()
        let bed = counter.add(1, ordering: .relaxed).newValue
        let bed8 = (Int(getpid()) * 7 + bed) % 250 + 1
        let prefix = "fb\(getpid() % 1_000_000)x\(bed % 100)"
        let testBed = TestBed(prefix: prefix, subnet: bed8, count: count)
        do {
            try testBed.build()
        } catch {
            testBed.tearDown()
            throw error
        }
        do {
            let result = try await body(testBed)
            testBed.tearDown()
            return result
        } catch {
            testBed.tearDown()
            throw error
        }
    }

    private init(prefix: String, subnet: Int, count: Int) {
        self.prefix = prefix
        bridge = prefix + "br"
        network = "198.18.\(subnet).0/24"
        bridgeAddress = "198.18.\(subnet).254"
        hosts = (1...count).map { Host(index: $0, namespace: "\(prefix)h\($0)", address: "198.18.\(subnet).\($0)") }
    }

    private func build() throws {
        try Self.ip("link", "add", bridge, "type", "bridge")
        try Self.ip("addr", "add", bridgeAddress + "/24", "dev", bridge)
        try Self.ip("link", "set", bridge, "up")
        for host in hosts {
            let outside = "\(prefix)v\(host.index)"
            try Self.ip("netns", "add", host.namespace)
            try Self.ip("link", "add", outside, "type", "veth", "peer", "name", host.interface, "netns", host.namespace)
            try Self.ip("link", "set", outside, "master", bridge, "up")
            try Self.ip("-n", host.namespace, "addr", "add", host.address + "/24", "dev", host.interface)
            try Self.ip("-n", host.namespace, "link", "set", host.interface, "up")
            try Self.ip("-n", host.namespace, "link", "set", "lo", "up")
            try Self.ip("-n", host.namespace, "route", "add", "default", "via", bridgeAddress)
        }
    }

    // MARK: Running things in a host

    /// Runs `command` in `host`'s namespace to completion; returns its status and output
    /// (stdout and stderr together).
    @discardableResult
    package func run(_ host: Host, _ command: [String]) throws -> (status: Int32, output: String) {
        try Self.execute(Self.tool("ip")!, ["netns", "exec", host.namespace] + command)
    }

    /// Starts `command` in `host`'s namespace and leaves it running (output to `log`, or
    /// discarded); the bed kills it at teardown if it is still running.
    ///
    /// It enters only the network namespace (`nsenter --net`), not a mount namespace of its
    /// own as `ip netns exec` would: an agent's instance namespaces (`ip netns add`) are then
    /// visible to every process, as they are on a machine, and outlive the agent.
    package func start(_ host: Host, _ command: [String], environment: [String: String] = [:], log: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.tool("nsenter")!)
        process.arguments = ["--net=/run/netns/" + host.namespace, "--"] + command
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        processes.withLock { $0.append(process) }
        return process
    }

    /// Stops `process` where it is (SIGSTOP): a frozen machine, alive but silent.
    package func freeze(_ process: Process) { Glibc.kill(process.processIdentifier, SIGSTOP) }
    /// Lets a frozen `process` go on (SIGCONT).
    package func thaw(_ process: Process) { Glibc.kill(process.processIdentifier, SIGCONT) }
    /// Kills `process` at once (SIGKILL), as a machine that loses power, and waits for it.
    package func kill(_ process: Process) {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    // MARK: Network faults

    /// Cuts every host of `side` off from every host of `other`, both ways (each host of
    /// `side` drops packets to and from the other side's addresses); traffic within each side
    /// and to the bridge goes on. Undo with ``heal()``.
    package func partition(_ side: [Host], from other: [Host]) throws {
        for host in side {
            let addresses = other.map(\.address).joined(separator: ", ")
            try nft(host, "add table inet flotilla_testbed")
            try nft(host, "add chain inet flotilla_testbed input { type filter hook input priority 0; policy accept; }")
            try nft(host, "add chain inet flotilla_testbed output { type filter hook output priority 0; policy accept; }")
            try nft(host, "add rule inet flotilla_testbed input ip saddr { \(addresses) } drop")
            try nft(host, "add rule inet flotilla_testbed output ip daddr { \(addresses) } drop")
        }
    }

    /// Drops `loss` percent of `host`'s outgoing packets at random (nftables `numgen`), and
    /// delays each by `delay` (tc netem; ``delayAvailable`` says whether this kernel has it).
    /// Undo with ``heal()``.
    package func impair(_ host: Host, delay: Duration = .zero, loss: Double = 0) throws {
        if loss > 0 {
            let threshold = Int((min(loss, 100) * 100).rounded())
            try nft(host, "add table inet flotilla_testbed_loss")
            try nft(host, "add chain inet flotilla_testbed_loss output { type filter hook output priority 0; policy accept; }")
            try nft(host, "add rule inet flotilla_testbed_loss output " + (threshold >= 10000 ? "drop" : "numgen random mod 10000 lt \(threshold) drop"))
        }
        if delay > .zero {
            let milliseconds = Double(delay.components.seconds) * 1000 + Double(delay.components.attoseconds) / 1e15
            let (status, output) = try Self.execute(Self.tool("tc")!, ["-n", host.namespace, "qdisc", "replace", "dev", host.interface,
                                                                        "root", "netem", "delay", String(format: "%.1fms", milliseconds)])
            guard status == 0 else {
                throw TestBedError("delaying \(host.namespace)'s packets needs tc netem, which this kernel lacks (sch_netem): \(output)")
            }
        }
    }

    /// Whether this kernel can delay packets (tc netem), tried once in a namespace of its own.
    package static let delayAvailable: Bool = {
        guard unavailableReason == nil, let ip = tool("ip"), let tc = tool("tc") else { return false }
        let name = "fb\(getpid() % 1_000_000)xprobe"
        guard (try? execute(ip, ["netns", "add", name]))?.status == 0 else { return false }
        defer { _ = try? execute(ip, ["netns", "delete", name]) }
        return (try? execute(tc, ["-n", name, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]))?.status == 0
    }()

    /// Removes every partition and impairment.
    package func heal() throws {
        for host in hosts {
            _ = try run(host, [Self.tool("nft")!, "delete", "table", "inet", "flotilla_testbed"])
            _ = try run(host, [Self.tool("nft")!, "delete", "table", "inet", "flotilla_testbed_loss"])
            _ = try Self.execute(Self.tool("tc")!, ["-n", host.namespace, "qdisc", "del", "dev", host.interface, "root"])
        }
    }

    private func nft(_ host: Host, _ rule: String) throws {
        let (status, output) = try run(host, [Self.tool("nft")!, rule])
        guard status == 0 else { throw TestBedError("nft \(rule) in \(host.namespace) failed: \(output)") }
    }

    // MARK: Teardown

    /// Kills what the bed started, then deletes the namespaces (their veths, rules and qdiscs
    /// go with them) and the bridge. Never throws: it removes what it can.
    private func tearDown() {
        let started = processes.withLock { list -> [Process] in defer { list = [] }; return list }
        for process in started where process.isRunning {
            Glibc.kill(process.processIdentifier, SIGCONT)
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for host in hosts {
            Self.killEverything(in: host.namespace)
            Self.deleteInstanceLinks(in: host.namespace)
            _ = try? Self.execute(Self.tool("ip")!, ["netns", "delete", host.namespace])
        }
        _ = try? Self.execute(Self.tool("ip")!, ["link", "delete", bridge])
        Self.removeOrphanedInstanceNamespaces()
    }

    /// Deletes the bridge ends of instances' veth pairs (`fv…`) in host namespace `name`, which
    /// takes their `eth0` at once (a namespace's own links go only once nothing uses it).
    private static func deleteInstanceLinks(in name: String) {
        guard let ip = tool("ip"), let links = try? execute(ip, ["-n", name, "-o", "link", "show"]).output else { return }
        for line in links.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 1, fields[1].hasPrefix("fv") else { continue }
            _ = try? execute(ip, ["-n", name, "link", "delete", String(fields[1].dropLast().split(separator: "@").first ?? "")])
        }
    }

    /// Deletes instance namespaces (`flotilla-…`, made by agents for `network: overlay`) whose
    /// `eth0` is gone — its other end was in a host namespace that no longer exists — with
    /// whatever still runs in them. A live machine's instances all have their `eth0`.
    private static func removeOrphanedInstanceNamespaces() {
        guard let ip = tool("ip") else { return }
        let namespaces = (try? execute(ip, ["netns", "list"]).output) ?? ""
        for line in namespaces.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix("flotilla-"), (try? execute(ip, ["-n", name, "link", "show", "eth0"]))?.status != 0 else { continue }
            killEverything(in: name)
            _ = try? execute(ip, ["netns", "delete", name])
            try? FileManager.default.removeItem(atPath: InstanceNetworks.netnsEtc + name)
        }
    }

    /// Removes namespaces and links that an earlier run of a process that no longer exists left behind.
    private static func removeLeftovers() {
        guard let ip = tool("ip") else { return }
        let namespaces = (try? execute(ip, ["netns", "list"]).output) ?? ""
        for line in namespaces.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            if let pid = owner(name), Glibc.kill(pid, 0) != 0 {
                killEverything(in: name)
                _ = try? execute(ip, ["netns", "delete", name])
            }
        }
        let links = (try? execute(ip, ["-o", "link", "show"]).output) ?? ""
        for line in links.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { continue }
            let name = String(fields[1].dropLast().split(separator: "@").first ?? "")
            if let pid = owner(name), Glibc.kill(pid, 0) != 0 { _ = try? execute(ip, ["link", "delete", name]) }
        }
        removeOrphanedInstanceNamespaces()
    }

    /// The creating process of a bed's name (`fb<pid>x…`), or nil for any other name.
    private static func owner(_ name: String) -> pid_t? {
        guard name.hasPrefix("fb"), let x = name.firstIndex(of: "x") else { return nil }
        return pid_t(name[name.index(name.startIndex, offsetBy: 2)..<x])
    }

    /// Kills every process left in namespace `name` (`ip netns pids`).
    private static func killEverything(in name: String) {
        guard let ip = tool("ip"), let pids = try? execute(ip, ["netns", "pids", name]).output else { return }
        for pid in pids.split(whereSeparator: \.isWhitespace).compactMap({ pid_t($0) }) { Glibc.kill(pid, SIGKILL) }
    }

    // MARK: Tools

    @discardableResult
    private static func ip(_ arguments: String...) throws -> String {
        try execute(tool("ip")!, arguments, check: true).output
    }

    private static func tool(_ name: String) -> String? {
        ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @discardableResult
    private static func execute(_ tool: String, _ arguments: [String], check: Bool = false) throws -> (status: Int32, output: String) {
        let (status, text) = try IPRoute2.execute(tool, arguments)
        if check, status != 0 {
            throw TestBedError("\((tool as NSString).lastPathComponent) \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return (status, text)
    }
}

/// A step of building or changing a test bed failed; the text has the command and its output.
package struct TestBedError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
