import Testing
@testable import FlotillaModel

@Suite("Agent config file")
struct AgentConfigTests {
    @Test("every key is read, the storm guard's included")
    func readsKeys() throws {
        let (config, diagnostics) = AgentConfig.parse(text: """
            state_dir: /tmp/x
            ttl: 7
            prefix: /p/
            storm_share: 0.75
            storm_grace: 1m
            """, file: "agent.yaml")
        #expect(diagnostics.isEmpty)
        let read = try #require(config)
        #expect(read.stateDirectory == "/tmp/x" && read.ttl == 7 && read.prefix == "/p/")
        #expect(read.stormShare == 0.75 && read.stormGrace == 60)
    }

    @Test("bad values are errors naming the key; the config is refused")
    func rejectsBadValues() {
        let (config, diagnostics) = AgentConfig.parse(text: "ttl: 1\nstorm_share: 2\nstorm_grace: soon\nstorm_shar: 1\n", file: "agent.yaml")
        #expect(config == nil)
        #expect(diagnostics.map(\.description) == [
            "agent.yaml:4:1: error: unknown key 'storm_shar' in the agent config; did you mean 'storm_share'?",
            "agent.yaml:1:6: error: ttl must be at least 2 seconds (etcd's minimum lease), found 1",
            "agent.yaml:2:14: error: storm_share must be a number above 0 and at most 1 (the share of machines), found '2'",
            "agent.yaml:3:14: error: invalid duration 'soon' for 'storm_grace'; use seconds like '5' or a span like '500ms', '5s', '1m30s', '1h'",
        ])
    }
}
