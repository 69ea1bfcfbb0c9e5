import Testing
@testable import FlotillaModel

@Suite("StackFile: network")
struct StackFileNetworkTests {
    @Test("network: overlay is read; host and no key mean the machine's network")
    func readsNetwork() throws {
        func network(_ line: String) -> NetworkMode?? {
            StackFile.parse(text: "stacks:\n  web:\n\(line)    units:\n      main: { exec: /bin/true }\n", file: "web.yaml").stacks.first.map(\.network)
        }
        #expect(network("    network: overlay\n") == .some(.overlay))
        #expect(network("    network: host\n") == .some(nil))
        #expect(network("") == .some(nil))
    }

    @Test("another network is an error naming the stack and the choices")
    func rejectsOtherModes() {
        let messages = stackMessages("""
        stacks:
          web:
            network: bridge
            units:
              main: { exec: /bin/true }
        """)
        #expect(messages == ["lamp.yaml:3:14: error: network of stack 'web' must be 'host' or 'overlay', got 'bridge'"], "\(messages)")
    }
}

@Suite("StackFile: named ports")
struct StackFilePortsTests {
    @Test("ports: a number, or port/host/protocol; host ports are reserved like resources.ports")
    func readsPorts() throws {
        let file = StackFile.parse(text: """
            stacks:
              web:
                network: overlay
                units:
                  http:
                    exec: /bin/true
                    ports: { http: 8080, metrics: { port: 9100, host: 19100 }, dns: { port: 53, protocol: udp } }
                    resources: { ports: [80] }
            """, file: "web.yaml")
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics)")
        let unit = try #require(file.stacks.first?.units.first)
        #expect(unit.ports == [NamedPort(name: "http", port: 8080), NamedPort(name: "metrics", port: 9100, host: 19100),
                               NamedPort(name: "dns", port: 53, transport: .udp)])
        #expect(unit.resources.ports == [80, 19100])
    }

    @Test("bad names, numbers and protocols, a missing port, network: host and a name used twice are errors")
    func rejectsBadPorts() {
        let messages = stackMessages("""
            stacks:
              web:
                units:
                  a:
                    exec: /bin/true
                    ports: { Web: 80, db: 70000, x: { host: 81 }, y: { port: 82, protocol: sctp }, pg: 5432 }
                  b:
                    exec: /bin/true
                    ports: { pg: 5433 }
            """)
        #expect(messages.contains { $0.contains("port name 'Web' must be 1 to 15 lowercase letters") })
        #expect(messages.contains { $0.contains("db must be a port from 1 to 65535, got 70000") })
        #expect(messages.contains { $0.contains("port 'x' in ports of unit 'a' of stack 'web' needs 'port'") })
        #expect(messages.contains { $0.contains("protocol of port 'y' must be 'tcp' or 'udp', got 'sctp'") })
        #expect(messages.contains { $0.contains("named ports need 'network: overlay' on stack 'web'") })
        #expect(messages.contains { $0.contains("port name 'pg' is already used by unit 'a' of stack 'web'") })
    }
}
