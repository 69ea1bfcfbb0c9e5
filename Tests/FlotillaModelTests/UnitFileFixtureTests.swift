import Testing
@testable import FlotillaModel

@Suite("UnitFile fixtures (seed units)")
struct UnitFileFixtureTests {
    typealias T = UnitFileTest

    static func load(_ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> (StackSpec, SpecLoader.Result) {
        let result = FleetUnitFile.load(path: T.fixtures + "/" + name)
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics)", sourceLocation: sourceLocation)
        #expect(result.stacks.count == 1, sourceLocation: sourceLocation)
        return (try #require(result.stacks.first, sourceLocation: sourceLocation), result)
    }

    @Test func memcachedWithDeprecatedConflicts() throws {
        let (stack, result) = try Self.load("memcached.1.service")
        #expect(stack.name == "memcached.1.service")
        #expect(stack.scale == .count(1))
        #expect(stack.naming == .single)
        #expect(stack.location?.line == 1 && stack.location?.column == 1)
        #expect(stack.units.first?.execStart == [ExecCommand(arguments: ["/usr/bin/docker", "run", "-p", "11211:11211", "fedora/memcached"])])
        #expect(stack.placement.conflicts.map(\.pattern) == ["memcached.*.service"])
        #expect(stack.placement.conflicts[0].matches("memcached.2.service"))
        #expect(result.diagnostics.map(\.message) == ["X-Conflicts= is deprecated; use Conflicts="])
    }

    @Test func dockerTemplateInstantiatedFromSameDirectory() throws {
        let (stack, _) = try Self.load("service@dev.service")
        #expect(stack.name == "service@dev.service")
        let unit = try #require(stack.units.first)
        #expect(unit.description == "API service dev")
        #expect(unit.execStart.first?.arguments.contains("--name=service-dev") == true)
        #expect(unit.execStart.first?.arguments[5] == "${RELEASE_CHANNEL}dev")
        #expect(unit.execStop.map(\.arguments) == [["/usr/bin/docker", "pull", "service:${RELEASE_CHANNEL}"],
                                                    ["/usr/bin/docker", "stop", "-t", "60", "service-dev"]])
        #expect(unit.execStopPost == [ExecCommand(arguments: ["/usr/bin/docker", "rm", "service-dev"], ignoreFailure: true)])
        #expect(unit.timeoutStartSec == 0)
        #expect(stack.placement.conflicts.map(\.pattern) == ["service@*.service"])
        #expect(stack.location?.file.hasSuffix("service@.service") == true)
    }

    @Test func templateAloneIsNotScheduled() {
        let result = FleetUnitFile.load(path: T.fixtures + "/service@.service")
        #expect(result.stacks.isEmpty)
        #expect(!result.diagnostics.hasErrors)
        #expect(result.diagnostics.last?.message == "template: not scheduled by itself; name an instance such as service@1.service")
    }

    @Test func busyboxWithIgnoredFailuresAndQuotedShell() throws {
        let unit = try #require(try Self.load("m.service").0.units.first)
        #expect(unit.execStartPre == [
            ExecCommand(arguments: ["/usr/bin/docker", "kill", "busybox1"], ignoreFailure: true),
            ExecCommand(arguments: ["/usr/bin/docker", "rm", "busybox1"], ignoreFailure: true),
            ExecCommand(arguments: ["/usr/bin/docker", "pull", "busybox"]),
        ])
        #expect(unit.execStart.first?.arguments.suffix(3) == ["/bin/sh", "-c", "while true; do echo Hello World; sleep 1; done"])
        #expect(unit.execStop == [ExecCommand(arguments: ["/usr/bin/docker", "stop", "busybox1"])])
    }

    @Test func globalOneshotBootstrap() throws {
        let (stack, _) = try Self.load("release-env.service")
        #expect(stack.scale == .global)
        let unit = try #require(stack.units.first)
        #expect(unit.type == .oneshot)
        #expect(unit.remainAfterExit)
        #expect(unit.execStart.count == 19)
        #expect(unit.execStart[0].arguments == ["/usr/bin/sh", "-c", "/usr/bin/echo ETCD_NAMESPACE=fulfill >> /etc/release.env"])
        #expect(unit.execStart[3].arguments == ["/usr/bin/sh", "-c", "/usr/bin/echo -n '\n' >> /etc/release.env"])
        #expect(unit.description == "\"Bootstraps the Environment file and extracts credientails into /etc/release.env\"")
    }

    @Test func apiTemplateInstance() throws {
        let (stack, result) = try Self.load("api@2.service")
        let unit = try #require(stack.units.first)
        #expect(unit.restart == .always && unit.restartSec == 5 && unit.timeoutStartSec == 150)
        #expect(unit.killSignal == "SIGINT")
        #expect(unit.environment == [EnvironmentVariable(name: "PORT", value: "8080"), EnvironmentVariable(name: "NAME", value: "api@2.service"),
                                     EnvironmentVariable(name: "INSTANCE", value: "2")])
        #expect(unit.resources == Resources(cpu: 500, memory: 512 << 20))
        #expect(stack.placement.metadata == ["region": ["east"]])
        #expect(result.diagnostics.map(\.message) == ["[Install] is ignored: Flotilla starts units itself"])
    }

    @Test func sidekickFollowsItsInstance() throws {
        let (stack, result) = try Self.load("api-discovery@1.service")
        #expect(stack.placement.machineOf == ["api@1.service"])
        let unit = try #require(stack.units.first)
        #expect(unit.after == ["api@1.service"])
        #expect(unit.execStart.first?.arguments == ["/bin/sh", "-c", #"while true; do etcdctl set /services/api/%H '{"port": 8080}' --ttl 60; sleep 45; done"#])
        #expect(result.diagnostics.map(\.message) == ["BindsTo= is not supported by Flotilla; ignored"])
    }

    @Test("a .timer's stack runs its service on the timer's schedule; MachineOf= its own service is met by that")
    func timerRunsItsService() throws {
        let (stack, result) = try Self.load("backup.timer")
        #expect(stack.name == "backup.timer")
        #expect(stack.placement.machineOf.isEmpty)
        let unit = try #require(stack.units.first)
        #expect(unit.kind == .service && unit.name == "backup.service")
        #expect(unit.execStart.first?.arguments == ["/usr/local/bin/backup", "--target", "s3://backups/%H"])
        #expect(unit.timer?.onCalendar == ["*-*-* 02:00:00", "weekly"])
        #expect(unit.timer?.persistent == true && unit.timer?.accuracySec == 60)
        #expect(result.diagnostics.map(\.message).contains("AccuracySec= is ignored: Flotilla runs a timer's service at the second it is due"))
    }

    @Test func globalWithRepeatedAndQuotedMetadata() throws {
        let (stack, _) = try Self.load("node-exporter.service")
        #expect(stack.scale == .global)
        #expect(stack.placement.metadata == ["region": ["east", "west"], "disk": ["ssd"]])
        #expect(stack.placement.conflicts.map(\.pattern) == ["node-exporter-old.service"])
        #expect(stack.units.first?.execStart.first?.arguments == ["/usr/bin/node_exporter", "--web.listen-address=:9100",
                                                                   "--collector.textfile.directory=/var/lib/node_exporter"])
    }

    @Test func templateWithInstanceSpecifiersInFleetValidatesAlone() throws {
        let alone = FleetUnitFile.load(path: T.fixtures + "/pin@.service")
        #expect(alone.stacks.isEmpty && !alone.diagnostics.hasErrors)
        let (stack, _) = try Self.load("pin@2c9f8e71.service")
        #expect(stack.placement.machineID == "2c9f8e71")
        #expect(stack.placement.metadata == ["hostname": ["2c9f8e71"]])
    }

    @Test func directoryIsUnreadable() {
        let result = FleetUnitFile.load(path: T.fixtures)
        #expect(result.diagnostics.map(\.message) == ["cannot read file: is a directory"])
    }

    @Test func missingFileAndMissingTemplate() {
        let result = FleetUnitFile.load(path: T.fixtures + "/nothing@1.service")
        #expect(result.stacks.isEmpty)
        #expect(result.diagnostics.map(\.description) == ["\(T.fixtures)/nothing@1.service:1:1: error: cannot read file: no such file"])
    }

    @Test func unitNamesFollowFleetValidation() {
        #expect(UnitName.validate("web@1.service") == nil)
        #expect(UnitName.validate("a:b_c.d-e\\x2d.service") == nil)
        #expect(UnitName.validate("@web.service") != nil)
        #expect(UnitName.validate("web") != nil)
        #expect(UnitName.validate("web@1.mount") != nil)
        #expect(UnitName.validate("web 1.service") != nil)
        #expect(UnitName.validate(String(repeating: "a", count: 250) + ".service") != nil)
        let name = UnitName("foo@bar.baz.service")
        #expect(name?.prefix == "foo" && name?.instance == "bar.baz" && name?.withoutSuffix == "foo@bar.baz")
        #expect(UnitName("foo@.service")?.isTemplate == true)
        #expect(UnitName("foo@1.service")?.templateName == "foo@.service")
        let (unit, diagnostics) = T.parse("[Service]\nExecStart=/bin/true\n", name: "web.socket")
        #expect(unit == nil && diagnostics.first?.message == "Flotilla runs .service and .timer units, not '.socket'")
    }
}
