@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Glibc

/// A temporary agent state directory and cgroup parent, removed at the end.
final class Scratch: Sendable {
    let directory: String
    let cgroups: CgroupSettings

    init() {
        let name = "flotilla-sv-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        directory = NSTemporaryDirectory() + name
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        cgroups = CgroupSettings(parent: name, nested: true)
    }

    func configuration(journal: Journal.Settings = Journal.Settings(), housekeeping: Double = 5) -> SupervisorConfiguration {
        SupervisorConfiguration(machine: "m1", stateDirectory: directory, journal: journal, housekeepingInterval: housekeeping)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func read(_ name: String) -> String {
        FileManager.default.contents(atPath: path(name)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Removes the directory and the test's cgroup tree (children first; retried while
    /// killed processes are still leaving).
    func remove() async {
        try? FileManager.default.removeItem(atPath: directory)
        let system = CgroupSystem.detect()
        for hierarchy in [system.memory, system.cpu].compactMap({ $0 }) {
            let parent = cgroups.parentDirectory(in: hierarchy)
            for _ in 0..<50 {
                let children = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
                for child in children where !child.contains(".") { _ = rmdir(parent + "/" + child) }
                if rmdir(parent) == 0 || errno == ENOENT { break }
                try? await Task.sleep(for: .milliseconds(40))
            }
        }
    }
}

/// Runs `body` with the supervisor's loop running; the loop stops when `body` returns.
func whileRunning<T>(_ supervisor: Supervisor, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await supervisor.run() }
        defer { group.cancelAll() }
        return try await body()
    }
}

/// A real-process supervisor test: a fresh scratch space and `ExecDriver`; afterwards every
/// unit is stopped (`apply([])`, waited for), whatever processes remain are killed, and the
/// scratch space is removed — also when `body` throws.
func withExecSupervisor(journal: Journal.Settings = Journal.Settings(), housekeeping: Double = 5, cgroups: Bool = true,
                        _ body: (Supervisor, Scratch) async throws -> Void) async throws {
    let scratch = Scratch()
    var settings = scratch.cgroups
    settings.enabled = cgroups
    let driver = ExecDriver(cgroups: settings)
    let supervisor = Supervisor(configuration: scratch.configuration(journal: journal, housekeeping: housekeeping), driver: driver)
    var failure: (any Error)?
    do {
        try await whileRunning(supervisor) {
            do { try await body(supervisor, scratch) } catch { failure = error }
            await stopEverything(supervisor)
        }
    } catch { failure = failure ?? error }
    driver.shutdown()
    await scratch.remove()
    if let failure { throw failure }
}

/// Stops every unit, waits (10 s at most), then SIGKILLs the groups of any main process left.
func stopEverything(_ supervisor: Supervisor) async {
    let pids = await supervisor.statuses().compactMap(\.pid)
    await supervisor.apply([])
    _ = await eventually(seconds: 10) { await supervisor.statuses().isEmpty }
    for pid in pids where pid > 1 { kill(-pid, SIGKILL) }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; true when it held.
func eventually(seconds: Double = 10, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// An assignment of one instance to machine `m1`.
func assignment(_ instance: String = "app@1", units: [UnitSpec], revision: Int64 = 1, token: Int64 = 10,
                desired: DesiredState = .launched) -> Assignment {
    Assignment(instance: instance, stack: String(instance.split(separator: "@").first ?? "app"), machine: "m1", units: units,
               specRevision: revision, fencingToken: token, desired: desired)
}

/// A unit whose main command is a shell script (`$$` stands for a literal `$`, as in unit files).
func shellUnit(_ name: String, _ script: String, type: ServiceType = .simple) -> UnitSpec {
    var spec = UnitSpec(name: name)
    spec.type = type
    spec.execStart = [ExecCommand(arguments: ["/bin/sh", "-c", script])]
    spec.timeoutStopSec = 5
    return spec
}

/// True when a process with this pid exists and is not a zombie.
func processAlive(_ pid: Int32) -> Bool {
    guard let stat = ProcStat.read(pid) else { return false }
    return stat.state != "Z" && stat.state != "X"
}

/// Live processes whose command line is exactly `arguments`.
func processes(withCommandLine arguments: [String]) -> [Int32] {
    let wanted = arguments.joined(separator: "\u{0}") + "\u{0}"
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self) == wanted && processAlive(pid)
    }
}

/// Whether this machine lets the tests make memory and cpu cgroups under their own.
enum CgroupProbe {
    static let writable: Bool = {
        let system = CgroupSystem.detect()
        guard let memory = system.memory, let cpu = system.cpu else { return false }
        let settings = CgroupSettings(parent: "flotilla-probe-\(getpid())", nested: true)
        let placement = CgroupControl(system: system, settings: settings).make(name: "probe", limits: Resources(cpu: 100, memory: 1 << 26))
        defer {
            for path in placement.paths { rmdir(path) }
            for hierarchy in [memory, cpu] { rmdir(settings.parentDirectory(in: hierarchy)) }
        }
        return placement.warning == nil && !placement.paths.isEmpty
    }()
}
