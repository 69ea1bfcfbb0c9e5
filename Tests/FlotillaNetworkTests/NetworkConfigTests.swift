import FlotillaNetwork
import Testing

/// flannel's network config: its defaults, its checks, and errors that name the field.
@Suite struct NetworkConfigTests {
    private func config(_ json: String) throws -> NetworkConfig { try NetworkConfig(json: Array(json.utf8)) }

    private func refusal(_ json: String) -> String {
        do {
            _ = try config(json)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func flannelDefaults() throws {
        let c = try config(#"{"Network": "10.5.0.0/16"}"#)
        #expect(c.network.description == "10.5.0.0/16" && c.subnetLength == 24)
        #expect(c.subnetMin.description == "10.5.1.0" && c.subnetMax.description == "10.5.255.0")
        #expect(c.backend == .vxlan(NetworkConfig.VXLAN()))
        guard case .vxlan(let vxlan) = c.backend else { return }
        #expect(vxlan.vni == 1 && vxlan.port == 8472 && vxlan.mtu == nil && !vxlan.directRouting)

        let small = try config(#"{"Network": "10.5.0.0/26", "Backend": {"Type": "host-gw"}}"#)
        #expect(small.subnetLength == 28 && small.backend == .hostGateway)
        #expect(small.subnetMin.description == "10.5.0.16" && small.subnetMax.description == "10.5.0.48")
    }

    @Test func optionsAreRead() throws {
        let c = try config(#"""
            {"Network": "10.6.0.0/16", "SubnetLen": 26, "SubnetMin": "10.6.4.0", "SubnetMax": "10.6.8.0",
             "EnableIPv4": true, "EnableIPv6": false, "EnableNFTables": true,
             "Backend": {"Type": "vxlan", "VNI": 42, "Port": 4789, "MTU": 1400, "DirectRouting": true, "GBP": false}}
            """#)
        #expect(c.subnetLength == 26 && c.subnetMin.description == "10.6.4.0" && c.subnetMax.description == "10.6.8.0")
        var vxlan = NetworkConfig.VXLAN()
        vxlan.vni = 42; vxlan.port = 4789; vxlan.mtu = 1400; vxlan.directRouting = true
        #expect(c.backend == .vxlan(vxlan))
    }

    @Test func errorsNameTheField() {
        #expect(refusal(#"{"Network": "10.5.0.0/16", "SubnetLen": 31}"#).contains("SubnetLen must be at most 30"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "SubnetLen": 17}"#).contains("SubnetLen must be at least the Network's prefix + 2 (/18)"))
        #expect(refusal(#"{"Network": "10.5.0.0/29"}"#).contains("Network is too small"))
        #expect(refusal(#"{"Network": "10.5.0.0"}"#).contains("Network must be an IPv4 network"))
        #expect(refusal(#"{"Backend": {"Type": "vxlan"}}"#).contains("Network is missing"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "SubnetMin": "10.6.0.0"}"#).contains("SubnetMin 10.6.0.0 is not in the Network 10.5.0.0/16"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "SubnetMax": "10.5.3.7"}"#).contains("SubnetMax 10.5.3.7 is not on a /24 boundary"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "Netwrk": 1}"#).contains("Netwrk is not a flannel network config key"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "EnableIPv6": true}"#).contains("EnableIPv6 is not supported yet"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "EnableIPv4": 1}"#).contains("EnableIPv4 must be true or false"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "Backend": {"Type": "udp"}}"#).contains(#"Backend.Type "udp" is not supported yet"#))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "Backend": {"Type": "vxlan", "VNI": "one"}}"#).contains("Backend.VNI must be a whole number"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "Backend": {"Type": "vxlan", "Learning": true}}"#).contains("Backend.Learning is not supported yet"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "Backend": {"Type": "host-gw", "VNI": 1}}"#).contains("Backend.VNI host-gw takes no options"))
        #expect(refusal("[1]").contains("is not a JSON object"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "EnableNFTables": false}"#).contains("EnableNFTables false is not supported"))
        #expect(refusal(#"{"Network": "10.5.0.0/16", "SubnetLen": 30}"#) == "accepted")
    }

    @Test func addressesAndKeys() {
        #expect(IPv4Address("10.5.0.1")?.value == 0x0A05_0001)
        for bad in ["10.5.0", "10.5.0.256", "010.5.0.1", "10.5.0.1.2", "a.b.c.d", ""] { #expect(IPv4Address(bad) == nil, "\(bad)") }
        let subnet = IPv4Subnet(leaseKey: "10.5.52.0-24")
        #expect(subnet?.description == "10.5.52.0/24" && subnet?.leaseKey == "10.5.52.0-24" && subnet?.gateway.description == "10.5.52.1")
        #expect(IPv4Subnet("10.5.0.1/16")?.description == "10.5.0.0/16")
        #expect(IPv4Subnet("10.5.0.0/33") == nil)
    }
}
