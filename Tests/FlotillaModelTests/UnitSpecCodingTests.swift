import FlotillaModel
import Foundation
import Testing

/// The stored form of a unit: defaults left out, and read back as defaults.
@Suite("Unit spec coding")
struct UnitSpecCodingTests {
    private func roundTrip(_ spec: UnitSpec) throws -> UnitSpec {
        try JSONDecoder().decode(UnitSpec.self, from: JSONEncoder().encode(spec))
    }

    @Test("a unit at systemd's defaults is stored as its name alone, and reads back equal")
    func defaultsAreLeftOut() throws {
        let spec = UnitSpec(name: "web")
        let text = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        #expect(text == #"{"name":"web"}"#)
        #expect(try roundTrip(spec) == spec)
    }

    @Test("every setting that differs from its default survives the round trip")
    func everySettingRoundTrips() throws {
        var spec = UnitSpec(name: "db@1.service", kind: .timer)
        spec.description = "the database"
        spec.type = .oneshot
        spec.execStartPre = [ExecCommand(arguments: ["/bin/true"], ignoreFailure: true)]
        spec.execStart = [ExecCommand(arguments: ["/usr/bin/db", "--port", "5432"])]
        spec.execStartPost = [ExecCommand(arguments: ["/bin/echo", "up"], verbatim: true)]
        spec.execStop = [ExecCommand(arguments: ["/bin/kill", "$MAINPID"])]
        spec.execStopPost = [ExecCommand(arguments: ["/bin/rm", "-f", "/run/db.pid"], ignoreFailure: true)]
        spec.restart = .onFailure
        spec.restartSec = 2.5
        spec.timeoutStartSec = 0
        spec.timeoutStopSec = 7
        spec.killSignal = "SIGINT"
        spec.environment = [EnvironmentVariable(name: "MODE", value: "primary")]
        spec.environmentFiles = [EnvironmentFile(path: "/etc/db.env", optional: true)]
        spec.environmentFromStore = ["config/db/"]
        spec.workingDirectory = "/var/lib/db"
        spec.user = "db"
        spec.group = "db"
        spec.remainAfterExit = true
        spec.resources = Resources(cpu: 500, memory: 1 << 30, disk: 0, ports: [5432])
        spec.after = ["migrate"]
        spec.health = .tcp(port: 5432, intervalSec: 5, timeoutSec: 1)
        spec.exclusive = true
        spec.timer = TimerSpec(cron: "*/5 * * * *")
        #expect(try roundTrip(spec) == spec)
    }

    @Test("the full form (every key written, as earlier versions stored it) still reads")
    func fullFormReads() throws {
        let text = #"""
            {"name":"web","kind":"service","type":"simple","execStartPre":[],"execStart":[{"arguments":["/bin/sleep","9"],"ignoreFailure":false}],
             "execStartPost":[],"execStop":[],"execStopPost":[],"restart":"always","restartSec":0.1,"timeoutStartSec":90,"timeoutStopSec":90,
             "killSignal":"SIGTERM","environment":[],"environmentFiles":[],"environmentFromStore":[],"remainAfterExit":false,
             "resources":{"cpu":100,"memory":0,"disk":0,"ports":[]},"after":[],"exclusive":false}
            """#
        var expected = UnitSpec(name: "web")
        expected.execStart = [ExecCommand(arguments: ["/bin/sleep", "9"])]
        expected.restart = .always
        expected.resources = Resources(cpu: 100)
        #expect(try JSONDecoder().decode(UnitSpec.self, from: Data(text.utf8)) == expected)
    }

    @Test("a stored unit without a name is an error that says so")
    func nameIsRequired() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(UnitSpec.self, from: Data(#"{"type":"simple"}"#.utf8)) }
    }
}
