import Testing
@testable import FlotillaModel

@Suite("StackFile: reusing fleet unit files")
struct StackFileReuseTests {
    let directory = stackFixturesDirectory()

    func parse(_ yaml: String) -> SpecLoader.Result {
        StackFile.parse(text: yaml, file: directory + "/stack.yaml")
    }

    @Test func unitFileIsCompiledRenamedAndItsPlacementMerged() throws {
        let result = parse("""
        stacks:
          lb:
            count: 2
            placement: { metadata: { region: eu }, conflicts: ["old-*"] }
            units:
              proxy:
                unit: ./haproxy.service
                resources: { cpu: 250m, ports: [443] }
                after: [sidecar]
              sidecar: { exec: /bin/announce }
        """)
        #expect(result.diagnostics.map(\.description) == [])
        let lb = try #require(result.stacks.first)
        #expect(lb.units.map(\.name) == ["proxy", "sidecar"])
        let proxy = lb.units[0]
        #expect(proxy.execStart.first?.arguments == ["/usr/sbin/haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"])
        #expect(proxy.description == "HAProxy")
        #expect(proxy.restart == .always)
        #expect(proxy.restartSec == 2)
        #expect(proxy.resources == Resources(cpu: 250, ports: [443]))
        #expect(proxy.after == ["sidecar"])
        #expect(proxy.location?.line == 6)
        #expect(lb.placement.metadata == ["region": ["eu"], "role": ["edge"]])
        #expect(lb.placement.conflicts == [Glob("old-*"), Glob("legacy-*")])
    }

    @Test func missingUnitFileIsReportedAtTheValue() throws {
        let result = parse("stacks:\n  lb:\n    units:\n      proxy: { unit: ./nope.service }\n")
        #expect(result.stacks.isEmpty)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1)
        #expect(diagnostic.location == SourceLocation(file: directory + "/stack.yaml", line: 4, column: 22))
        #expect(diagnostic.message == "cannot read unit file './nope.service' (\(directory)/nope.service): no such file")
    }

    @Test func errorsInsideTheUnitFileKeepTheirOwnPositions() throws {
        let result = parse("stacks:\n  lb:\n    units:\n      proxy: { unit: broken.service }\n")
        #expect(result.stacks.isEmpty)
        let diagnostic = try #require(result.diagnostics.first { $0.severity == .error })
        #expect(diagnostic.location.file == directory + "/broken.service")
        #expect(diagnostic.location.line == 3)
        #expect(diagnostic.location.column == 1)
        #expect(diagnostic.message.contains("BogusKey"))
    }

    @Test func fleetOnlyPlacementOptionsAreRejected() {
        let messages = stackMessages("""
        stacks:
          a:
            units: { x: { unit: ./global.service } }
          b:
            units: { x: { unit: ./follower.service } }
          c:
            placement: { metadata: { disk: ssd } }
            units: { x: { unit: ./hdd.service } }
          d:
            units: { x: { unit: ./haproxy.service, exec: /bin/x }, y: { unit: ./haproxy.service, restart: always, user: me } }
          e:
            units: { x: { unit: ./haproxy.txt } }
          f:
            units: { x: { unit: ./backup.timer } }
        """, file: directory + "/s.yaml").map { $0.replacingOccurrences(of: directory + "/", with: "") }
        #expect(messages == [
            "s.yaml:3:25: error: './global.service' sets Global=; use the stack's 'global: true' instead",
            "s.yaml:5:25: error: './follower.service' sets MachineOf=; use the stack's 'placement.machine_of' instead",
            "s.yaml:8:25: error: MachineMetadata disk=hdd in the unit file contradicts the stack's placement disk=ssd",
            "s.yaml:10:19: error: unit 'x' sets both 'exec' and 'unit'; use one of them",
            "s.yaml:10:90: error: 'restart' cannot be used with 'unit:'; set it in the unit file instead",
            "s.yaml:10:107: error: 'user' cannot be used with 'unit:'; set it in the unit file instead",
            "s.yaml:12:25: error: unit file './haproxy.txt' must end in .service",
            "s.yaml:14:25: error: reusing a .timer as a unit is not supported yet; reuse its service (unit: ./x.service) and give it schedule:, or apply the .timer file itself",
        ])
    }
}
