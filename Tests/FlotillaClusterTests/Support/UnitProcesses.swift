import Foundation
import Glibc

/// Finds and kills the unit processes of given machines, seen from outside: every live
/// process whose environment holds `FLOTILLA_MACHINE=<id>` (the supervisor sets it for every
/// unit). Machine IDs in these tests are unique per test, so nothing else matches.
enum UnitProcesses {
    /// A live (not zombie) unit process.
    struct Found: Hashable {
        var pid: pid_t
        var processGroup: pid_t
        var machine: String
        /// `FLOTILLA_INSTANCE` and `FLOTILLA_UNIT` of the process.
        var instance: String
        var unit: String
        /// Its cgroup directories under a `flotilla` parent (for cleanup).
        var cgroups: [String]
    }

    /// Live processes of `machines`' units.
    static func find(machines: Set<String>) -> [Found] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [Found] = []
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid(), isAlive(pid) else { continue }
            let environment = Self.environment(of: pid)
            guard let machine = environment["FLOTILLA_MACHINE"], machines.contains(machine) else { continue }
            found.append(Found(pid: pid, processGroup: getpgid(pid), machine: machine,
                               instance: environment["FLOTILLA_INSTANCE"] ?? "", unit: environment["FLOTILLA_UNIT"] ?? "",
                               cgroups: cgroups(of: pid)))
        }
        return found.sorted { $0.pid < $1.pid }
    }

    /// SIGKILLs every unit process of `machines` and its process group, waits until they are
    /// gone (at most 10 s), then removes their now empty `flotilla` cgroups. Returns what it killed.
    @discardableResult
    static func killAll(machines: Set<String>) -> [Found] {
        var killed: [Found] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let live = find(machines: machines)
            if live.isEmpty { break }
            for process in live {
                if process.processGroup > 1 { kill(-process.processGroup, SIGKILL) }
                kill(process.pid, SIGKILL)
                if !killed.contains(where: { $0.pid == process.pid }) { killed.append(process) }
            }
            usleep(50_000)
        }
        for directory in Set(killed.flatMap(\.cgroups)) { rmdir(directory) }
        return killed
    }

    /// SIGKILLs the fence watchdogs of `machines` (processes with `FLOTILLA_FENCE_WATCHDOG=<id>`
    /// in their environment; only the process: it shares its agent's process group).
    static func killWatchdogs(machines: Set<String>) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid(), isAlive(pid),
                  let machine = environment(of: pid)["FLOTILLA_FENCE_WATCHDOG"], machines.contains(machine) else { continue }
            kill(pid, SIGKILL)
        }
    }

    /// Removes the (empty) cgroups an agent recorded for its units in
    /// `<state>/units/records.log` (one JSON object per line): a SIGKILLed agent cannot remove
    /// them itself, and its units' processes are gone by now.
    static func removeRecordedCgroups(stateDirectory: String) {
        guard let data = FileManager.default.contents(atPath: stateDirectory + "/units/records.log") else { return }
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let record = entry["record"] as? [String: Any],
                  let cgroup = record["cgroup"] as? [String: Any], let paths = cgroup["paths"] as? [String] else { continue }
            for path in paths where path.split(separator: "/").contains("flotilla") { rmdir(path) }
        }
    }

    /// True while `pid` exists and is not a zombie.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// The environment of `pid` (empty when unreadable).
    static func environment(of pid: pid_t) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return [:] }
        var result: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return result
    }

    /// Cgroup directories of `pid` that the agent made (their path has a `flotilla` component).
    private static func cgroups(of pid: pid_t) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return [] }
        var directories: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[2].split(separator: "/").contains("flotilla") else { continue }
            let controllers = parts[1].isEmpty ? ["unified", ""] : [String(parts[1])]
            for controller in controllers {
                let directory = "/sys/fs/cgroup" + (controller.isEmpty ? "" : "/" + controller) + parts[2]
                if FileManager.default.fileExists(atPath: directory) { directories.append(directory) }
            }
        }
        return directories
    }
}
