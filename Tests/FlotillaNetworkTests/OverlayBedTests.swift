import FlotillaEtcd
import FlotillaNetwork
import FlotillaStore
import FlotillaTesting
import Foundation
import Testing

/// The overlay network on the test bed's hosts, each running a real `flotilla agent` (host 1
/// bootstraps and serves the store, the others join it), for vxlan and host-gw: leases and
/// subnet files in flannel's formats, traffic between the machines' subnets, a lease written
/// exactly as flannel's documentation shows one routed to, a peer's lease removed taking only
/// its entries, a deleted own lease taken again, and the agent's overlay flags (`--ip-masq`,
/// `--iface` by name and by address, `--network-prefix`, `--no-overlay`) at work.
@Suite(.serialized, .enabled(if: TestBed.unavailableReason == nil, "\(TestBed.unavailableReason ?? "")"))
struct OverlayBedTests {
    @Test("three machines take flannel leases, write subnet files and reach each other's subnets", arguments: ["vxlan", "host-gw"])
    func threeMachines(backend: String) async throws {
        let directory = NSTemporaryDirectory() + "flotilla-overlay-\(backend)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // vxlan under flannel's default prefix, host-gw under another one (--network-prefix).
        let prefix = backend == "vxlan" ? "/coreos.com/network" : "/example.com/network"
        try await TestBed.with(hosts: 4) { bed in
            let flags: [[String]] = [
                ["--ip-masq"] + (backend == "vxlan" ? [] : ["--network-prefix", prefix]),
                ["--iface", "eth0"] + (backend == "vxlan" ? [] : ["--network-prefix", prefix]),
                ["--iface", bed.hosts[2].address] + (backend == "vxlan" ? [] : ["--network-prefix", prefix]),
                ["--no-overlay"],
            ]
            let machines = try await BedAgents.start(bed, directory: directory, flags: flags)
            let store = try BedAgents.store(bed, directory: directory)
            defer { Task { await store.close() } }
            try await store.put(prefix + "/config", #"{"Network": "10.5.0.0/16", "Backend": {"Type": "\#(backend)"}}"#)

            // Every machine takes a lease in flannel's format and writes flannel's subnet file.
            var subnets: [IPv4Subnet] = []
            for (host, state) in zip(bed.hosts, machines.states).prefix(3) {
                let file = state + "/subnet.env"
                let text = try await bedEventually("\(host.namespace)'s subnet file") { try? String(contentsOfFile: file, encoding: .utf8) }
                let subnet = try #require(SubnetFile.previousSubnet(in: text))
                #expect(text == "FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=\(subnet.gateway)/24\nFLANNEL_MTU=\(backend == "vxlan" ? 1450 : 1500)\nFLANNEL_IPMASQ=\(host.index == 1)\n")
                let lease = try await store.range(RangeRequest(key: Bytes(utf8: prefix + "/subnets/" + subnet.leaseKey)))
                let value = try #require(lease.kvs.first).value.utf8String
                if backend == "vxlan" {
                    let mac = try #require(bed.run(host, ["/usr/sbin/ip", "-o", "link", "show", "flannel.1"]).output.split(separator: " ")
                        .drop { $0 != "link/ether" }.dropFirst().first)
                    #expect(value == #"{"PublicIP":"\#(host.address)","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"\#(mac)"}}"#)
                } else {
                    #expect(value == #"{"PublicIP":"\#(host.address)","PublicIPv6":null,"BackendType":"host-gw"}"#)
                }
                #expect(lease.kvs.first!.lease != 0, "the lease key lives under an etcd lease")
                subnets.append(subnet)
            }
            #expect(Set(subnets).count == 3, "three different subnets: \(subnets)")
            #expect(try await store.range(.prefix(Bytes(utf8: prefix + "/subnets/"))).kvs.count == 3, "host 4 (--no-overlay) took no lease")
            #expect(!FileManager.default.fileExists(atPath: machines.states[3] + "/subnet.env"))
            let masquerade = try bed.run(bed.hosts[0], ["/usr/sbin/nft", "list", "table", "ip", "flotilla_overlay"]).output
            #expect(masquerade.contains("ip saddr 10.5.0.0/16 ip daddr != 224.0.0.0/4 masquerade"), "--ip-masq: \(masquerade)")
            #expect(try bed.run(bed.hosts[1], ["/usr/sbin/nft", "list", "table", "ip", "flotilla_overlay"]).status != 0, "no --ip-masq, no rule")

            // Host 1 reaches host 3's subnet (its bridge's gateway address) over the overlay, and back.
            for host in bed.hosts.prefix(3) { _ = try bed.start(host, listener) }
            #expect(try await bedEventually("h1 → h3's subnet") { try connects(bed, bed.hosts[0], to: subnets[2].gateway) ? true : nil })
            #expect(try connects(bed, bed.hosts[2], to: subnets[0].gateway))
            #expect(try connects(bed, bed.hosts[1], to: subnets[0].gateway))

            // A lease exactly as flannel's documentation shows one: routed to, as flannel would.
            let documented = #"{"PublicIP":"\#(bed.bridgeAddress)","PublicIPv6":null,"BackendType":"\#(backend)","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}"#
            try await store.put(prefix + "/subnets/10.5.200.0-24", documented)
            let h1 = bed.hosts[0]
            if backend == "vxlan" {
                _ = try await bedEventually("the route to 10.5.200.0/24") {
                    try bed.run(h1, ["/usr/sbin/ip", "route", "show", "10.5.200.0/24"]).output.contains("via 10.5.200.0 dev flannel.1 onlink") ? true : nil
                }
                #expect(try bed.run(h1, ["/usr/sbin/ip", "neigh", "show", "dev", "flannel.1"]).output.contains("10.5.200.0 lladdr c6:d2:32:6f:8f:44 PERMANENT"))
                #expect(try bed.run(h1, ["/usr/sbin/bridge", "fdb", "show", "dev", "flannel.1"]).output.contains("c6:d2:32:6f:8f:44 dst \(bed.bridgeAddress) self permanent"))
            } else {
                _ = try await bedEventually("the route to 10.5.200.0/24") {
                    try bed.run(h1, ["/usr/sbin/ip", "route", "show", "10.5.200.0/24"]).output.contains("via \(bed.bridgeAddress) dev eth0") ? true : nil
                }
            }
            // Removing that lease removes its entries only.
            _ = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: prefix + "/subnets/10.5.200.0-24")))
            _ = try await bedEventually("the route to 10.5.200.0/24 removed") {
                try bed.run(h1, ["/usr/sbin/ip", "route", "show", "10.5.200.0/24"]).output.isEmpty ? true : nil
            }
            #expect(try connects(bed, h1, to: subnets[2].gateway), "the other peers' routes stay")

            // Host 2's own lease deleted: it takes the same subnet again, and says so.
            _ = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: prefix + "/subnets/" + subnets[1].leaseKey)))
            _ = try await bedEventually("host 2's lease taken again") {
                try await store.range(RangeRequest(key: Bytes(utf8: prefix + "/subnets/" + subnets[1].leaseKey))).kvs.first
            }
            let events = try await store.range(.prefix(Bytes(utf8: "/flotilla/events/"))).kvs.map(\.value.utf8String)
            #expect(events.contains { $0.contains("subnet lease vanished") && $0.contains("took \(subnets[1]) again") }, "\(events)")

            // Host 3's agent killed and started again: it keeps its subnet (its own lease, by PublicIP).
            let h3 = bed.hosts[2]
            bed.kill(machines.processes[2])
            let before = try await store.range(RangeRequest(key: Bytes(utf8: prefix + "/subnets/" + subnets[2].leaseKey))).kvs.first?.lease
            _ = try bed.start(h3, machines.arguments[2], log: "\(directory)/a3-again.log")
            _ = try await bedEventually("host 3's lease renewed by its restarted agent") {
                let now = try await store.range(RangeRequest(key: Bytes(utf8: prefix + "/subnets/" + subnets[2].leaseKey))).kvs.first?.lease
                return now != nil && now != before ? true : nil
            }
            #expect(SubnetFile.previousSubnet(in: try String(contentsOfFile: machines.states[2] + "/subnet.env", encoding: .utf8)) == subnets[2])
            #expect(try connects(bed, bed.hosts[0], to: subnets[2].gateway))
        }
    }

    /// A TCP listener on port 7 of every address of the host.
    private var listener: [String] {
        ["/usr/bin/python3", "-c", """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 7)); s.listen(64)
            while True: s.accept()[0].close()
            """]
    }

    private func connects(_ bed: TestBed, _ from: TestBed.Host, to address: IPv4Address) throws -> Bool {
        try bed.run(from, ["/usr/bin/python3", "-c", "import socket; socket.create_connection(('\(address)', 7), timeout=2)"]).status == 0
    }
}

