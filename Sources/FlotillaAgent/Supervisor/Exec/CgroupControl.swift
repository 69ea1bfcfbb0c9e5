import FlotillaModel
import Foundation
import Glibc

/// Makes, limits, signals and removes unit cgroups (v1 and v2).
///
/// Limits: v1 `memory.limit_in_bytes`, `cpu.cfs_quota_us` over a 100 ms `cpu.cfs_period_us`;
/// v2 `memory.max` and `cpu.max`. A unit's cgroup is made even without limits when a
/// hierarchy is usable, so stopping a unit reaches every process it started (also those
/// that left its process group).
struct CgroupControl: Sendable {
    let system: CgroupSystem
    let settings: CgroupSettings
    /// `cpu.cfs_period_us` / the period in `cpu.max`.
    static let cpuPeriod: Int64 = 100_000

    func make(name: String, limits: Resources) -> CgroupPlacement {
        var problems: [String] = []
        guard settings.enabled else {
            let wanted = limits.memory > 0 || limits.cpu > 0
            return .none(wanted ? "cpu and memory limits are not enforced: cgroups are disabled in the agent's configuration" : nil)
        }
        var paths: [String] = []
        for (controller, hierarchy, wanted) in [("memory", system.memory, limits.memory > 0), ("cpu", system.cpu, limits.cpu > 0)] {
            guard let hierarchy else {
                if wanted { problems.append("\(controller) limit not enforced: no \(controller) cgroup controller on this machine") }
                continue
            }
            let directory = settings.directory(name, in: hierarchy)
            if !paths.contains(directory) {
                if hierarchy.version == 2 { enableControllers(in: hierarchy) }
                if let error = Self.makeDirectories(directory) {
                    if wanted { problems.append("\(controller) limit not enforced: cannot create cgroup \(directory): \(error)") }
                    continue
                }
                paths.append(directory)
            }
            guard wanted else { continue }
            for (file, value) in Self.limitFiles(controller, version: hierarchy.version, limits: limits) {
                if let error = Self.write(value, to: directory + "/" + file) {
                    problems.append("\(controller) limit not enforced: cannot write \(directory)/\(file): \(error)")
                }
            }
        }
        return CgroupPlacement(paths: paths, warning: problems.isEmpty ? nil : problems.joined(separator: "; "))
    }

    /// The files and values that set one controller's limit.
    static func limitFiles(_ controller: String, version: Int, limits: Resources) -> [(String, String)] {
        let quota = limits.cpu * cpuPeriod / 1000
        switch (controller, version) {
        case ("memory", 1): return [("memory.limit_in_bytes", "\(limits.memory)")]
        case ("memory", _): return [("memory.max", "\(limits.memory)")]
        case ("cpu", 1): return [("cpu.cfs_period_us", "\(cpuPeriod)"), ("cpu.cfs_quota_us", "\(quota)")]
        default: return [("cpu.max", "\(quota) \(cpuPeriod)")]
        }
    }

    /// v2: child cgroups get controllers only when every ancestor lists them in
    /// `cgroup.subtree_control`. Best effort; failures show up when limits are written.
    private func enableControllers(in hierarchy: CgroupSystem.Hierarchy) {
        var offered: [String] = []
        if system.memory == hierarchy { offered.append("+memory") }
        if system.cpu == hierarchy { offered.append("+cpu") }
        let parent = settings.parentDirectory(in: hierarchy)
        _ = Self.makeDirectories(parent)
        var directory = hierarchy.mount
        let below = parent.dropFirst(hierarchy.mount.count).split(separator: "/")
        for part in [""] + below.map(String.init) {
            if !part.isEmpty { directory += "/" + part }
            _ = Self.write(offered.joined(separator: " "), to: directory + "/cgroup.subtree_control")
        }
    }

    func remove(_ placement: CgroupPlacement) -> Bool {
        var gone = true
        for path in placement.paths where rmdir(path) != 0 && errno != ENOENT { gone = false }
        return gone
    }

    /// Sends `signal` to every process in the cgroup (SIGKILL through `cgroup.kill` on v2).
    static func signal(_ placement: CgroupPlacement, _ signal: Int32) {
        var pids: Set<Int32> = []
        for path in placement.paths {
            if signal == SIGKILL, Self.write("1", to: path + "/cgroup.kill") == nil { continue } // v2, Linux 5.14+
            let text = FileManager.default.contents(atPath: path + "/cgroup.procs").map { String(decoding: $0, as: UTF8.self) } ?? ""
            pids.formUnion(text.split(separator: "\n").compactMap { Int32($0) })
        }
        for pid in pids where pid > 0 { kill(pid, signal) }
    }

    /// `mkdir -p`; the error text, or nil.
    static func makeDirectories(_ path: String) -> String? {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST { return String(cString: strerror(errno)) }
        }
        return nil
    }

    /// Writes `text` to a cgroup file in one `write`; the error text, or nil.
    static func write(_ text: String, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return Glibc.write(fd, bytes, bytes.count) == bytes.count ? nil : String(cString: strerror(errno))
    }
}
