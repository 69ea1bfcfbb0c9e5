import Foundation

/// The cgroup hierarchies that carry the memory and cpu controllers on this machine, found in
/// `/proc/self/mountinfo` and `/proc/self/cgroup`. A controller bound to a v1 hierarchy is
/// used there; otherwise the v2 (unified) hierarchy is used when it offers the controller.
package struct CgroupSystem: Sendable, Hashable {
    /// One mounted hierarchy.
    package struct Hierarchy: Sendable, Hashable {
        /// 1 or 2.
        package var version: Int
        /// Where it is mounted, e.g. `/sys/fs/cgroup/memory`.
        package var mount: String
        /// This process's cgroup inside it, e.g. `/process_api/1234`.
        package var ownPath: String
    }

    /// Hierarchy with the memory controller.
    package var memory: Hierarchy?
    /// Hierarchy with the cpu controller.
    package var cpu: Hierarchy?

    /// Reads the machine's mounts and this process's cgroups.
    package static func detect() -> CgroupSystem {
        func text(_ path: String) -> String {
            FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return parse(mountinfo: text("/proc/self/mountinfo"), ownCgroups: text("/proc/self/cgroup")) { mount in
            Set(text(mount + "/cgroup.controllers").split(whereSeparator: \.isWhitespace).map(String.init))
        }
    }

    /// The hierarchies from the texts of `/proc/self/mountinfo` and `/proc/self/cgroup`;
    /// `v2Controllers(mount)` lists what a v2 hierarchy offers (its `cgroup.controllers`).
    package static func parse(mountinfo: String, ownCgroups: String, v2Controllers: (String) -> Set<String>) -> CgroupSystem {
        var own: [String: String] = [:] // controller (or "" for v2) -> path
        for line in ownCgroups.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[1].isEmpty { own[""] = String(parts[2]) }
            for controller in parts[1].split(separator: ",") { own[String(controller)] = String(parts[2]) }
        }
        var system = CgroupSystem()
        var unified: String?
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count > dash + 3 else { continue }
            let mount = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
            let type = fields[dash + 1]
            if type == "cgroup2" { unified = mount; continue }
            guard type == "cgroup" else { continue }
            let options = Set(fields[dash + 3].split(separator: ",").map(String.init))
            for controller in ["memory", "cpu"] where options.contains(controller) {
                let hierarchy = Hierarchy(version: 1, mount: mount, ownPath: own[controller] ?? "/")
                if controller == "memory" { system.memory = hierarchy } else { system.cpu = hierarchy }
            }
        }
        if let unified {
            let offered = v2Controllers(unified)
            let hierarchy = Hierarchy(version: 2, mount: unified, ownPath: own[""] ?? "/")
            if system.memory == nil && offered.contains("memory") { system.memory = hierarchy }
            if system.cpu == nil && offered.contains("cpu") { system.cpu = hierarchy }
        }
        return system
    }
}

/// Where unit cgroups go.
package struct CgroupSettings: Sendable, Hashable {
    /// Parent of every unit cgroup, relative to each hierarchy's root (or to this process's
    /// own cgroup when ``nested``).
    package var parent: String
    /// Put ``parent`` under the agent's own cgroup (for tests, and for agents run by a
    /// service manager that delegates a cgroup subtree to them).
    package var nested: Bool
    /// False: make no cgroups at all (limits are then reported as not enforced).
    package var enabled: Bool

    /// Settings; the default is `/flotilla` at the root of each hierarchy.
    package init(parent: String = "flotilla", nested: Bool = false, enabled: Bool = true) {
        self.parent = parent; self.nested = nested; self.enabled = enabled
    }

    /// The directory of the cgroup called `name` in `hierarchy`.
    package func directory(_ name: String, in hierarchy: CgroupSystem.Hierarchy) -> String {
        Self.join([hierarchy.mount, nested ? hierarchy.ownPath : "", parent, name])
    }

    /// The parent directory of unit cgroups in `hierarchy`.
    package func parentDirectory(in hierarchy: CgroupSystem.Hierarchy) -> String {
        Self.join([hierarchy.mount, nested ? hierarchy.ownPath : "", parent])
    }

    static func join(_ parts: [String]) -> String {
        "/" + parts.flatMap { $0.split(separator: "/") }.joined(separator: "/")
    }
}
