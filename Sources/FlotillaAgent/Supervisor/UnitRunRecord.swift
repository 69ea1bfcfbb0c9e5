import FlotillaModel
import Foundation

/// What the agent remembers about one unit run across its own restarts, in
/// `<state>/units/<instance>/<unit>.json`: the spec it runs, which processes belong to it
/// (pid + start time, so a reused pid is never mistaken for them), its cgroup and where it
/// was. Written before the state it records is published, so a reported `running` always
/// has a record to adopt from.
package struct UnitRunRecord: Sendable, Hashable, Codable {
    /// Record schema.
    package var schema = 1
    /// The instance, e.g. `lamp@3`.
    package var instance: String
    /// The stack.
    package var stack: String
    /// Revision of the stack record the instance runs.
    package var specRevision: Int64
    /// The assignment's fencing token.
    package var fencingToken: Int64
    /// The assignment's desired state.
    package var desired: DesiredState
    /// The unit as it runs.
    package var spec: UnitSpec
    /// Where it was.
    package var state: UnitState
    /// Its main process, while one runs.
    package var main: ProcessHandle?
    /// Its control process, while one runs.
    package var control: ProcessHandle?
    /// Its cgroup.
    package var cgroup: CgroupPlacement?
    /// Automatic restarts so far.
    package var restarts: Int
    /// The last thing that went wrong.
    package var lastError: String?
    /// When ``state`` was entered.
    package var since: Double?
}

/// Reads and writes run records.
struct RunRecordStore: Sendable {
    let directory: String

    func path(instance: String, unit: String) -> String { "\(directory)/\(instance)/\(unit).json" }

    /// Writes a record (to a temporary file, then renamed over the old one).
    func save(_ record: UnitRunRecord) {
        let target = path(instance: record.instance, unit: record.spec.name)
        do {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(record.instance)", withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(record).write(to: URL(fileURLWithPath: target + ".tmp"))
            guard rename(target + ".tmp", target) == 0 else { return }
        } catch {
            return // the status still goes out; a missing record only costs adoption after a crash
        }
    }

    /// Every readable record.
    func loadAll() -> [UnitRunRecord] {
        let files = FileManager.default
        guard let instances = try? files.contentsOfDirectory(atPath: directory) else { return [] }
        var records: [UnitRunRecord] = []
        for instance in instances.sorted() {
            let units = (try? files.contentsOfDirectory(atPath: "\(directory)/\(instance)")) ?? []
            for unit in units.sorted() where unit.hasSuffix(".json") {
                guard let data = files.contents(atPath: "\(directory)/\(instance)/\(unit)"),
                      let record = try? JSONDecoder().decode(UnitRunRecord.self, from: data) else { continue }
                records.append(record)
            }
        }
        return records
    }

    /// Removes an instance's records.
    func remove(instance: String) {
        try? FileManager.default.removeItem(atPath: "\(directory)/\(instance)")
    }
}
