import FlotillaModel
import Foundation
import Glibc
import Synchronization

/// What the agent remembers about one unit run across its own restarts, in
/// `<state>/units/records.log` (see ``RunRecordStore``): the spec it runs, which processes belong to it
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

/// Reads and writes run records: one append-only file, `<state>/units/records.log`, one JSON
/// object per line — a record (the newest line of a unit wins) or `{"removed": INSTANCE}`.
///
/// A save is one `write` with `O_APPEND`: no file is created or renamed per save, so a machine
/// starting thousands of units does not spend its time allocating inodes. An agent killed
/// mid-write leaves a torn last line; the next agent skips it and rewrites the file (only the
/// live records, to a temporary file renamed over the log), which also happens whenever the
/// log holds four times more lines than live records. Not fsync'd: a record only matters
/// while the machine stays up (after a machine crash its processes are gone too, and a reused
/// pid is told apart by its start time), and the page cache keeps it across agent restarts.
final class RunRecordStore: Sendable {
    private struct Line: Codable {
        var record: UnitRunRecord?
        var removed: String?
    }

    private struct State {
        var descriptor: Int32 = -1
        /// The encoded line of every live record, by instance and unit.
        var live: [String: [String: Data]] = [:]
        var liveCount = 0
        var lines = 0
    }

    let directory: String
    private let state = Mutex(State())

    init(directory: String) { self.directory = directory }

    deinit { state.withLock { if $0.descriptor >= 0 { close($0.descriptor) } } }

    private var path: String { directory + "/records.log" }

    /// Appends a record.
    func save(_ record: UnitRunRecord) {
        guard let line = Self.encode(Line(record: record)) else { return }
        state.withLock { state in
            openIfNeeded(&state)
            let before = state.live[record.instance]?[record.spec.name]
            state.live[record.instance, default: [:]][record.spec.name] = line
            if before == nil { state.liveCount += 1 }
            append(line, &state)
        }
    }

    /// Every readable record, by instance and then unit name.
    func loadAll() -> [UnitRunRecord] {
        state.withLock { state in
            openIfNeeded(&state)
            var records: [UnitRunRecord] = []
            for instance in state.live.keys.sorted() {
                for (_, line) in state.live[instance]!.sorted(by: { $0.key < $1.key }) {
                    if let record = try? JSONDecoder().decode(Line.self, from: line).record { records.append(record) }
                }
            }
            return records
        }
    }

    /// Removes an instance's records.
    func remove(instance: String) {
        guard let line = Self.encode(Line(removed: instance)) else { return }
        state.withLock { state in
            openIfNeeded(&state)
            guard let units = state.live.removeValue(forKey: instance) else { return }
            state.liveCount -= units.count
            append(line, &state)
        }
    }

    private func append(_ line: Data, _ state: inout State) {
        guard state.descriptor >= 0 else { return }
        _ = FileReplacing.write(line, to: state.descriptor)
        state.lines += 1
        if state.lines > max(1024, 4 * state.liveCount) { rewrite(&state) }
    }

    /// Opens the log on first use: reads what an earlier agent left, then rewrites it.
    private func openIfNeeded(_ state: inout State) {
        guard state.descriptor < 0 else { return }
        if let data = FileManager.default.contents(atPath: path) {
            let decoder = JSONDecoder()
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let entry = try? decoder.decode(Line.self, from: Data(line)) else { continue } // a torn last line
                if let record = entry.record {
                    state.live[record.instance, default: [:]][record.spec.name] = Data(line) + [UInt8(ascii: "\n")]
                } else if let instance = entry.removed {
                    state.live[instance] = nil
                }
            }
            state.liveCount = state.live.values.reduce(0) { $0 + $1.count }
        }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        rewrite(&state)
    }

    /// Writes the live records to a new file, renames it over the log and appends to it from now on.
    private func rewrite(_ state: inout State) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        var ok = true
        for units in state.live.values { for line in units.values where ok { ok = FileReplacing.write(line, to: fd) } }
        guard ok, rename(temporary, path) == 0 else { close(fd); return }
        if state.descriptor >= 0 { close(state.descriptor) }
        state.descriptor = fd
        state.lines = state.liveCount
    }

    private static func encode(_ line: Line) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard var data = try? encoder.encode(line) else { return nil }
        data.append(UInt8(ascii: "\n"))
        return data
    }
}
