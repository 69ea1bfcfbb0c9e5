import FlotillaModel
import FlotillaNetwork
import Testing

/// What an overlay instance gets forwarded from its machine's ports.
struct PortForwardTests {
    @Test("named ports with a host port keep their protocol; other resources.ports go to the same port, TCP and UDP")
    func forwards() {
        var web = UnitSpec(name: "web")
        web.ports = [NamedPort(name: "http", port: 8080, host: 80), NamedPort(name: "dns", port: 53, transport: .udp, host: 5353),
                     NamedPort(name: "admin", port: 9000)]
        web.resources.ports = [80, 5353, 443]
        #expect(PortForward.all(of: [web]) == [
            PortForward(host: 80, port: 8080, transport: .tcp), PortForward(host: 5353, port: 53, transport: .udp),
            PortForward(host: 443, port: 443, transport: .tcp), PortForward(host: 443, port: 443, transport: .udp),
        ])
        #expect(PortForward.all(of: [UnitSpec(name: "idle")]).isEmpty)
    }
}
