import FlotillaNetwork
import Testing

/// Lease values in flannel's format, the subnet choice, and the subnet file.
@Suite struct SubnetLeaseTests {
    @Test func leaseValuesAreFlannels() throws {
        let documented = #"{"PublicIP":"192.168.64.3","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}"#
        let read = try #require(LeaseAttributes(json: Array(documented.utf8)))
        #expect(read.publicIP.description == "192.168.64.3" && read.backendType == "vxlan")
        #expect(read.vxlan?.vni == 1 && read.vxlan?.vtepMAC == "c6:d2:32:6f:8f:44")
        #expect(String(decoding: read.json, as: UTF8.self) == documented)

        let hostGateway = LeaseAttributes(publicIP: IPv4Address("10.0.0.2")!, backendType: "host-gw")
        #expect(String(decoding: hostGateway.json, as: UTF8.self) == #"{"PublicIP":"10.0.0.2","PublicIPv6":null,"BackendType":"host-gw"}"#)
        #expect(LeaseAttributes(json: Array("{}".utf8)) == nil)
    }

    private let config = try! NetworkConfig(json: Array(#"{"Network": "10.5.0.0/16", "SubnetMax": "10.5.3.0"}"#.utf8))
    private let me = IPv4Address("192.168.1.10")!
    private let other = IPv4Address("192.168.1.20")!

    private func subnet(_ text: String) -> IPv4Subnet { IPv4Subnet(text)! }

    private func decide(_ leases: [IPv4Subnet: LeaseAttributes], previous: IPv4Subnet? = nil, pick: Int = 0) -> (SubnetChoice, [IPv4Subnet], Int) {
        var stale: [IPv4Subnet] = []
        var offered = 0
        let choice = SubnetChoice.decide(config: config, leases: leases, publicIP: me, previous: previous, stale: &stale) { count in
            offered = count
            return pick
        }
        return (choice, stale, offered)
    }

    @Test func ownLeaseIsKeptByPublicIP() {
        let (choice, stale, _) = decide([subnet("10.5.2.0/24"): .init(publicIP: me, backendType: "vxlan"),
                                         subnet("10.5.1.0/24"): .init(publicIP: other, backendType: "vxlan")],
                                        previous: subnet("10.5.3.0/24"))
        #expect(choice == .keep(subnet("10.5.2.0/24")) && stale.isEmpty)
    }

    @Test func ownLeaseThatNoLongerFitsIsDeleted() {
        let (choice, stale, _) = decide([subnet("10.9.2.0/24"): .init(publicIP: me, backendType: "vxlan")])
        #expect(stale == [subnet("10.9.2.0/24")])
        #expect(choice == .take(subnet("10.5.1.0/24")))
    }

    @Test func previousSubnetOnlyWhenFree() {
        #expect(decide([:], previous: subnet("10.5.3.0/24")).0 == .take(subnet("10.5.3.0/24")))
        let (choice, _, offered) = decide([subnet("10.5.3.0/24"): .init(publicIP: other, backendType: "vxlan")],
                                          previous: subnet("10.5.3.0/24"), pick: 1)
        #expect(offered == 2 && choice == .take(subnet("10.5.2.0/24")), "the taken one is not offered")
        #expect(decide([:], previous: subnet("10.7.3.0/24")).0 == .take(subnet("10.5.1.0/24")), "outside the config: not reused")
    }

    @Test func randomAmongTheFreeAndExhausted() {
        let (choice, _, offered) = decide([subnet("10.5.1.0/24"): .init(publicIP: other, backendType: "vxlan")], pick: 1)
        #expect(offered == 2 && choice == .take(subnet("10.5.3.0/24")))
        let full: [IPv4Subnet: LeaseAttributes] = Dictionary(uniqueKeysWithValues: (1...3).map {
            (subnet("10.5.\($0).0/24"), LeaseAttributes(publicIP: other, backendType: "vxlan"))
        })
        #expect(decide(full).0 == .exhausted)
    }

    @Test func subnetFileIsFlannels() {
        let file = SubnetFile(network: subnet("10.5.0.0/16"), subnet: subnet("10.5.72.0/24"), mtu: 1450, ipMasquerade: false)
        #expect(file.text == "FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.72.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n")
        #expect(SubnetFile.previousSubnet(in: file.text) == subnet("10.5.72.0/24"))
        #expect(SubnetFile.previousSubnet(in: "FLANNEL_MTU=1450\n") == nil)
    }
}
