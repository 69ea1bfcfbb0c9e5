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
