import Foundation
import Testing
@testable import FlotillaModel

@Suite("StackFile: the LAMP example")
struct StackFileExampleTests {
    let result: SpecLoader.Result

    init() throws {
        let path = examplesDirectory() + "/lamp.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        result = StackFile.parse(text: text, file: path)
    }

    @Test func compilesWithoutDiagnostics() {
        #expect(result.diagnostics.map(\.description) == [])
        #expect(result.stacks.map(\.name) == ["lamp", "lb"])
    }

    @Test func lampStack() throws {
        let lamp = try #require(result.stacks.first)
        #expect(lamp.scale == .count(5))
        #expect(lamp.spread == .machine)
        #expect(lamp.naming == .indexed)
        #expect(lamp.placement.metadata == ["disk": ["ssd"], "region": ["eu", "us"]])
        #expect(lamp.placement.conflicts == [Glob("legacy-*")])
        #expect(lamp.placement.machineID == nil)
        #expect(lamp.units.map(\.name) == ["mysql", "apache", "backup"])
        #expect(lamp.location?.line == 5 && lamp.location?.column == 3)
        #expect(lamp.resources.cpu == 850)
        #expect(lamp.resources.memory == (512 + 256 + 64) << 20)
        #expect(lamp.resources.ports == [80, 3306])
        #expect(lamp.isExclusive)
        #expect(lamp.instanceName(index: 3) == "lamp@3")
    }

    @Test func mysqlUnit() throws {
        let mysql = try #require(result.stacks.first?.units.first)
        #expect(mysql.execStart == [ExecCommand(arguments: ["/usr/sbin/mysqld", "--datadir=/var/lib/mysql"], verbatim: true)])
        #expect(mysql.resources == Resources(cpu: 500, memory: 512 << 20, disk: 10 << 30, ports: [3306]))
        #expect(mysql.restart == .always)
        #expect(mysql.restartSec == 5)
        #expect(mysql.timeoutStopSec == 30)
        #expect(mysql.environment == [EnvironmentVariable(name: "MYSQL_DATABASE", value: "shop")])
        #expect(mysql.environmentFromStore == ["/fulfill/metadata/"])
        #expect(mysql.health == .tcp(port: 3306, intervalSec: 10, timeoutSec: 2))
        #expect(mysql.exclusive)
        #expect(mysql.user == "mysql")
        #expect(mysql.workingDirectory == "/var/lib/mysql")
        #expect(mysql.type == .simple)
        #expect(mysql.timer == nil)
        #expect(mysql.location?.line == 12 && mysql.location?.column == 7)
    }

    @Test func apacheAndBackupUnits() throws {
        let units = try #require(result.stacks.first?.units)
        let apache = units[1], backup = units[2]
        #expect(apache.execStart == [ExecCommand(arguments: ["/usr/sbin/apache2ctl", "-D", "FOREGROUND"], verbatim: true)])
        #expect(apache.after == ["mysql"])
        #expect(apache.restart == .onFailure)
        #expect(apache.health == .http(port: 80, path: "/healthz", intervalSec: 5, timeoutSec: 1))
        #expect(apache.exclusive == false)
        #expect(backup.timer == TimerSpec(cron: "30 2 * * *"))
        #expect(backup.type == .oneshot)
        #expect(backup.resources == Resources(cpu: 100, memory: 64 << 20))
    }

    @Test func loadBalancerReusesTheFleetUnit() throws {
        let lb = try #require(result.stacks.last)
        #expect(lb.scale == .count(2))
        #expect(lb.spread == .metadata(key: "zone"))
        #expect(lb.placement.metadata == ["role": ["edge"]])
        let haproxy = try #require(lb.units.first)
        #expect(lb.units.count == 1)
        #expect(haproxy.name == "haproxy")
        #expect(haproxy.execStart.first?.arguments == ["/usr/sbin/haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"])
        #expect(haproxy.restart == .always)
        #expect(haproxy.restartSec == 2)
        #expect(haproxy.resources == Resources(cpu: 250, memory: 128 << 20, ports: [443]))
        #expect(haproxy.health == .tcp(port: 443, intervalSec: 10, timeoutSec: 2))
    }

    @Test func minimalStackGetsDefaults() throws {
        let result = StackFile.parse(text: "stacks:\n  web:\n    units:\n      app: { exec: /bin/app }\n", file: "w.yaml")
        let web = try #require(result.stacks.first)
        #expect(result.diagnostics.isEmpty)
        #expect(web.scale == .count(1))
        #expect(web.spread == nil)
        #expect(web.placement.isEmpty)
        #expect(web.units[0].restart == .onFailure)
        #expect(web.units[0].restartSec == 0.1)
        #expect(web.units[0].resources == .zero)
    }

    @Test func globalAndZeroCount() throws {
        let yaml = """
        stacks:
          agent:
            global: true
            placement: { machine: 4f3c9a1b, machine_of: [], conflicts: ["old-*"] }
            units: { run: { exec: "/bin/agent --flag 'a b' \\"c d\\"" } }
          idle:
            count: 0
            placement: { machine_of: ["db@%i"] }
            units: { run: { exec: [/bin/true], restart_sec: 1m30s, stop_timeout: 1.5 } }
        """
        let result = StackFile.parse(text: yaml, file: "g.yaml")
        #expect(result.diagnostics.isEmpty)
        let agent = try #require(result.stacks.first), idle = try #require(result.stacks.last)
        #expect(agent.scale == .global)
        #expect(agent.placement.machineID == "4f3c9a1b")
        #expect(agent.units[0].execStart[0].arguments == ["/bin/agent", "--flag", "a b", "c d"])
        #expect(idle.scale == .count(0))
        #expect(idle.placement.machineOf == ["db@%i"])
        #expect(idle.units[0].restartSec == 90)
        #expect(idle.units[0].timeoutStopSec == 1.5)
    }
}

@Suite("StackFile: exec runs as written")
struct StackFileVerbatimExecTests {
    @Test("A YAML exec: array or string is verbatim; a fleet unit's ExecStart= is not")
    func yamlExecIsVerbatim() throws {
        let text = """
            stacks:
              clock:
                units:
                  date: { exec: [/bin/date, "+%H:%M $HOME"] }
                  echo: { exec: "/bin/echo %m ${A}" }
            """
        let result = StackFile.parse(text: text, file: "clock.yaml")
        #expect(result.diagnostics.map(\.description) == [])
        let units = try #require(result.stacks.first).units
        #expect(units.map(\.execStart) == [
            [ExecCommand(arguments: ["/bin/date", "+%H:%M $HOME"], verbatim: true)],
            [ExecCommand(arguments: ["/bin/echo", "%m", "${A}"], verbatim: true)],
        ])
    }
}
