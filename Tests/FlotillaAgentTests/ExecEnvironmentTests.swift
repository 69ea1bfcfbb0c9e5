@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Glibc
import Testing

/// What a unit's processes see: environment, directory, user, cgroup limits.
@Suite("Supervisor with real processes: environment, user, cgroups", .serialized)
struct ExecEnvironmentTests {
    private func oneshot(_ name: String, _ arguments: [[String]]) -> UnitSpec {
        var spec = UnitSpec(name: name)
        spec.type = .oneshot
        spec.execStart = arguments.map { ExecCommand(arguments: $0) }
        return spec
    }

    private func journal(_ scratch: Scratch, _ unit: String) -> [String] {
        scratch.read("journal/app@1+\(unit).log").split(separator: "\n").map(String.init).filter { !$0.hasPrefix("[flotilla") }
    }

    @Test("A verbatim command (a YAML exec: array) runs as written: no specifiers, no $ expansion")
    func verbatimCommand() async throws {
        try await withExecSupervisor { supervisor, scratch in
            var spec = UnitSpec(name: "verbatim")
            spec.type = .oneshot
            spec.execStart = [ExecCommand(arguments: ["printf", "[%s]", "+%H:%m", "$A", "${A}", "$$"], verbatim: true),
                              ExecCommand(arguments: ["printf", "[%s]", "%m", "$A"])]
            spec.environment = [EnvironmentVariable(name: "A", value: "a")]
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "verbatim")?.state == .exited })
            let output = journal(scratch, "verbatim").joined()
            #expect(output.hasPrefix("[+%H:%m][$A][${A}][$$]"), "got \(output)")
            // The same words in a unit file's command are expanded (%m: the machine ID).
            #expect(output.contains("[+%H:%m][$A][${A}][$$][m1][a]"), "got \(output)")
        }
    }

    @Test("Environment, EnvironmentFile (wins), WorkingDirectory and ${VAR}/$VAR expansion reach the process")
    func environment() async throws {
        try await withExecSupervisor { supervisor, scratch in
            try "# settings\nB=\"x y\"\nC=from-file\n".write(toFile: scratch.path("env"), atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: scratch.path("work"), withIntermediateDirectories: true)
            var spec = oneshot("env", [["/bin/sh", "-c", "echo \"A=$A B=$B C=$C PWD=$(pwd) UNIT=$FLOTILLA_UNIT\""],
                                       ["printf", "[%s]", "${A}", "$B", "$$literal"], ["/bin/echo"]])
            spec.environment = [EnvironmentVariable(name: "A", value: "a b"), EnvironmentVariable(name: "B", value: "overridden")]
            spec.environmentFiles = [EnvironmentFile(path: scratch.path("env"), optional: false),
                                     EnvironmentFile(path: "/nonexistent/env", optional: true)]
            spec.workingDirectory = scratch.path("work")
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "env")?.state == .exited })
            #expect(journal(scratch, "env") == [
                "A=a b B=x y C=from-file PWD=\(scratch.path("work")) UNIT=env",
                "[a b][x][y][$literal]",
            ])
        }
    }

    @Test("a missing EnvironmentFile without '-' fails the start and says how to fix it")
    func missingEnvironmentFile() async throws {
        try await withExecSupervisor { supervisor, _ in
            var spec = oneshot("env", [["/bin/true"]])
            spec.environmentFiles = [EnvironmentFile(path: "/nonexistent/env", optional: false)]
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "env")?.state == .failed })
            let error = await supervisor.status(instance: "app@1", unit: "env")?.lastError ?? ""
            #expect(error.contains("EnvironmentFile=/nonexistent/env cannot be read; create it, or write '-/nonexistent/env'"))
        }
    }

    @Test("User=nobody runs the process as nobody, with its HOME", .enabled(if: getuid() == 0, "needs root to switch users"))
    func user() async throws {
        try await withExecSupervisor { supervisor, scratch in
            var spec = oneshot("who", [["/bin/sh", "-c", "echo uid=$(id -u) gid=$(id -g) home=$HOME user=$USER"]])
            spec.user = "nobody"
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "who")?.state == .exited })
            let nobody = try UnitLaunch.lookUpUser("nobody", group: nil)
            #expect(journal(scratch, "who") == ["uid=\(nobody.uid) gid=\(nobody.gid) home=\(nobody.home) user=nobody"])
        }
    }

    @Test("memory and cpu limits are written to the unit's cgroup, which the process is in",
          .enabled(if: CgroupProbe.writable, "no writable memory and cpu cgroup here; limits cannot be checked"))
    func cgroupLimits() async throws {
        try await withExecSupervisor { supervisor, _ in
            var spec = UnitSpec(name: "db")
            spec.execStart = [ExecCommand(arguments: ["/bin/sleep", "1000"])]
            spec.resources = Resources(cpu: 250, memory: 64 << 20)
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "db")?.state == .running })
            let status = try #require(await supervisor.status(instance: "app@1", unit: "db"))
            #expect(status.warning == nil)
            let pid = try #require(status.pid)
            let system = CgroupSystem.detect()
            let memory = try #require(system.memory)
            let cpu = try #require(system.cpu)
            // The pid is the joining shell until it execs sleep; wait for it to be inside.
            #expect(await eventually { cgroupDirectory(of: pid, controller: "cpu", in: cpu)?.contains("/app@1_db_") == true })
            let memoryDirectory = try #require(cgroupDirectory(of: pid, controller: "memory", in: memory))
            let cpuDirectory = try #require(cgroupDirectory(of: pid, controller: "cpu", in: cpu))
            #expect(memoryDirectory.contains("/app@1_db_"))
            if memory.version == 1 {
                #expect(read(memoryDirectory + "/memory.limit_in_bytes") == "67108864")
                #expect(read(cpuDirectory + "/cpu.cfs_quota_us") == "25000")
                #expect(read(cpuDirectory + "/cpu.cfs_period_us") == "100000")
            } else {
                #expect(read(memoryDirectory + "/memory.max") == "67108864")
                #expect(read(cpuDirectory + "/cpu.max") == "25000 100000")
            }
        }
    }

    @Test("without a usable cgroup the unit still runs and its status says the limits are not enforced")
    func limitsNotEnforced() async throws {
        try await withExecSupervisor(cgroups: false) { supervisor, _ in
            var spec = UnitSpec(name: "db")
            spec.execStart = [ExecCommand(arguments: ["/bin/sleep", "1000"])]
            spec.resources = Resources(cpu: 250, memory: 64 << 20)
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "db")?.state == .running })
            let warning = await supervisor.status(instance: "app@1", unit: "db")?.warning ?? ""
            #expect(warning.contains("limits are not enforced"))
        }
    }

    /// The directory of `pid`'s cgroup for `controller`, from `/proc/<pid>/cgroup`.
    private func cgroupDirectory(of pid: Int32, controller: String, in hierarchy: CgroupSystem.Hierarchy) -> String? {
        for line in read("/proc/\(pid)/cgroup").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let matches = hierarchy.version == 1 ? parts[1].split(separator: ",").contains(Substring(controller)) : parts[1].isEmpty
            if matches { return hierarchy.mount + parts[2] }
        }
        return nil
    }

    private func read(_ path: String) -> String {
        (FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
