@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Glibc
import Testing

@Suite("Supervisor: health checks", .serialized)
struct HealthCheckTests {
    private func health(_ supervisor: Supervisor, _ unit: String) async -> HealthState? {
        await supervisor.status(instance: "app@1", unit: unit)?.health
    }

    @Test("exec and tcp checks: unhealthy until the condition holds, then healthy; nil once stopped")
    func execAndTCP() async throws {
        try await withExecSupervisor { supervisor, scratch in
            let flag = scratch.path("ready")
            var probe = UnitSpec(name: "probe")
            probe.execStart = [ExecCommand(arguments: ["/bin/sleep", "1000"])]
            probe.health = .exec(arguments: ["/bin/sh", "-c", "test -e \(flag)"], intervalSec: 0.1, timeoutSec: 2)
            var port = UnitSpec(name: "port")
            port.execStart = [ExecCommand(arguments: ["/bin/sleep", "1000"])]
            let closed = try freePort()
            port.health = .tcp(port: closed, intervalSec: 0.1, timeoutSec: 1)
            await supervisor.apply([assignment(units: [probe, port])])
            #expect(await eventually { await health(supervisor, "probe") == .unhealthy })
            #expect(await eventually { await health(supervisor, "port") == .unhealthy })
            _ = FileManager.default.createFile(atPath: flag, contents: nil)
            #expect(await eventually { await health(supervisor, "probe") == .healthy })
            await supervisor.apply([assignment(units: [probe, port], desired: .loaded)])
            #expect(await eventually { await supervisor.statuses().allSatisfy { $0.state == .exited && $0.health == nil } })
        }
    }

    @Test("a check failing `failures` times in a row restarts the unit under its restart policy; within the grace it does not count")
    func failingCheckRestarts() async throws {
        try await withExecSupervisor { supervisor, _ in
            var sick = UnitSpec(name: "sick")
            sick.execStart = [ExecCommand(arguments: ["/bin/sleep", "1000"])]
            sick.restart = .always
            sick.restartSec = 0.1
            sick.health = .exec(arguments: ["/bin/false"], intervalSec: 0.1, timeoutSec: 2)
            sick.healthFailures = 2
            var patient = sick
            patient.name = "patient"
            patient.healthGrace = 3600
            await supervisor.apply([assignment(units: [sick, patient])])
            #expect(await eventually { await health(supervisor, "patient") == .unhealthy })
            let first = try #require(await supervisor.status(instance: "app@1", unit: "sick")?.pid)
            #expect(await eventually(seconds: 10) { (await supervisor.status(instance: "app@1", unit: "sick")?.restarts ?? 0) >= 1 })
            let status = try #require(await supervisor.status(instance: "app@1", unit: "sick"))
            #expect(status.lastError == "health check failed 2 times in a row")
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "sick")?.pid.map { $0 != first } ?? false })
            #expect(await supervisor.status(instance: "app@1", unit: "patient")?.restarts == 0, "failures within the grace do not count")
        }
    }

    @Test("http check: healthy once the unit's server answers", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func http() async throws {
        try await withExecSupervisor { supervisor, _ in
            let port = try freePort()
            var web = UnitSpec(name: "web")
            web.execStart = [ExecCommand(arguments: ["/usr/bin/python3", "-m", "http.server", "\(port)", "--bind", "127.0.0.1"])]
            web.workingDirectory = "/"
            web.health = .http(port: port, path: "/", intervalSec: 0.2, timeoutSec: 1)
            await supervisor.apply([assignment(units: [web])])
            #expect(await eventually(seconds: 15) { await health(supervisor, "web") == .healthy })
            #expect(!NetworkProbe.http(port: port, path: "/no-such-page", timeout: 1)) // 404 is not healthy
        }
    }

    /// A loopback port nothing listens on (bound, then released).
    private func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
