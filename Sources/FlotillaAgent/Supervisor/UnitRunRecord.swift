import FlotillaModel
import FlotillaNetwork
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
    /// A timer-driven unit: when its last run started (`Persistent=` catches up a run missed
    /// while the agent was down).
    package var lastRun: Double?
    /// The instance's overlay namespace and address (`network: overlay`), the same in every
    /// unit's record of the run.
    package var network: InstanceAttachment?
}

extension UnitRunRecord {
    private enum CodingKeys: String, CodingKey {
        case schema, instance, stack, specRevision, fencingToken, desired, spec, unit, state, main, control, cgroup, restarts,
             lastError, since, lastRun, network
    }

    /// Set to `true` in an encoder's `userInfo` to write the unit's name (`unit`) instead of its
    /// whole spec; decoding such a record gives a spec holding only the name, for the reader
    /// to fill in (``RunRecordStore`` keeps specs on lines of their own).
    static let omittingSpec = CodingUserInfoKey(rawValue: "flotilla.runRecord.omittingSpec")!

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(Int.self, forKey: .schema)
        instance = try c.decode(String.self, forKey: .instance)
        stack = try c.decode(String.self, forKey: .stack)
        specRevision = try c.decode(Int64.self, forKey: .specRevision)
        fencingToken = try c.decode(Int64.self, forKey: .fencingToken)
        desired = try c.decode(DesiredState.self, forKey: .desired)
        spec = try c.decodeIfPresent(UnitSpec.self, forKey: .spec) ?? UnitSpec(name: c.decode(String.self, forKey: .unit))
        state = try c.decode(UnitState.self, forKey: .state)
        main = try c.decodeIfPresent(ProcessHandle.self, forKey: .main)
        control = try c.decodeIfPresent(ProcessHandle.self, forKey: .control)
        cgroup = try c.decodeIfPresent(CgroupPlacement.self, forKey: .cgroup)
        restarts = try c.decode(Int.self, forKey: .restarts)
        lastError = try c.decodeIfPresent(String.self, forKey: .lastError)
        since = try c.decodeIfPresent(Double.self, forKey: .since)
        lastRun = try c.decodeIfPresent(Double.self, forKey: .lastRun)
        network = try c.decodeIfPresent(InstanceAttachment.self, forKey: .network)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(instance, forKey: .instance)
        try c.encode(stack, forKey: .stack)
        try c.encode(specRevision, forKey: .specRevision)
        try c.encode(fencingToken, forKey: .fencingToken)
        try c.encode(desired, forKey: .desired)
        if encoder.userInfo[Self.omittingSpec] as? Bool == true {
            try c.encode(spec.name, forKey: .unit)
        } else {
            try c.encode(spec, forKey: .spec)
        }
        try c.encode(state, forKey: .state)
        try c.encodeIfPresent(main, forKey: .main)
        try c.encodeIfPresent(control, forKey: .control)
        try c.encodeIfPresent(cgroup, forKey: .cgroup)
        try c.encode(restarts, forKey: .restarts)
        try c.encodeIfPresent(lastError, forKey: .lastError)
        try c.encodeIfPresent(since, forKey: .since)
        try c.encodeIfPresent(lastRun, forKey: .lastRun)
        try c.encodeIfPresent(network, forKey: .network)
    }
}

/// Reads and writes run records: one append-only file, `<state>/units/records.log`, one JSON
/// object per line — a spec (`{"spec": {"id": N, "spec": …}}`), a unit's run naming its spec
/// (`{"record": …, "specID": N}`; the newest line of a unit wins) or `{"removed": INSTANCE}`.
/// A spec, the bulk of a record, is written once however many units run it and however often
/// they save (the instances of a stack share their units' specs).
///
/// A save is one `write` with `O_APPEND`: no file is created or renamed per save, so a machine
/// starting thousands of units does not spend its time allocating inodes. An agent killed
/// mid-write leaves a torn last line; the next agent skips it and rewrites the file (the live
/// records and the specs they name, to a temporary file renamed over the log), which also
/// happens whenever the log holds many more lines than it would rewritten. Not fsync'd: a
/// record only matters while the machine stays up (after a machine crash its processes are
/// gone too, and a reused pid is told apart by its start time), and the page cache keeps it
/// across agent restarts.
final class RunRecordStore: Sendable {
    private struct SpecLine: Codable {
        var id: Int
        var spec: UnitSpec
    }

    private struct Line: Codable {
        var record: UnitRunRecord?
        var specID: Int?
        var spec: SpecLine?
        var removed: String?
    }

    /// A record line that holds its whole spec (older agents wrote no spec lines).
    private struct WholeRecordLine: Decodable {
        struct Record: Decodable { var spec: UnitSpec }
        var record: Record
    }

    /// A live unit: its spec and the line that restores it.
    private struct Entry {
        var spec: UnitSpec
        var specID: Int
        var runLine: Data
    }

    private struct State {
        var descriptor: Int32 = -1
        /// Every live unit, by instance and unit name.
        var live: [String: [String: Entry]] = [:]
        var liveCount = 0
        /// The specs in the log, with their IDs and lines.
        var specs: [UnitSpec: (id: Int, line: Data)] = [:]
        var nextSpecID = 1
        var lines = 0
    }

    let directory: String
    private let state = Mutex(State())

    init(directory: String) { self.directory = directory }

    deinit { state.withLock { if $0.descriptor >= 0 { close($0.descriptor) } } }

    private var path: String { directory + "/records.log" }

    /// Appends a record (after its spec, when the log does not hold that spec yet).
    func save(_ record: UnitRunRecord) {
        state.withLock { state in
            openIfNeeded(&state)
            let unit = record.spec.name
            let previous = state.live[record.instance]?[unit]
            var bytes = Data()
            let specID: Int
            if let previous, previous.spec == record.spec {
                specID = previous.specID
            } else if let known = state.specs[record.spec] {
                specID = known.id
            } else {
                specID = state.nextSpecID
                guard let line = Self.encode(Line(spec: SpecLine(id: specID, spec: record.spec))) else { return }
                state.nextSpecID += 1
                state.specs[record.spec] = (specID, line)
                bytes = line
                state.lines += 1
            }
            guard let runLine = Self.encode(Line(record: record, specID: specID), omittingSpec: true) else { return }
            if previous == nil { state.liveCount += 1 }
            state.live[record.instance, default: [:]][unit] = Entry(spec: record.spec, specID: specID, runLine: runLine)
            append(bytes + runLine, &state)
        }
    }

    /// Every readable record, by instance and then unit name.
    func loadAll() -> [UnitRunRecord] {
        state.withLock { state in
            openIfNeeded(&state)
            let decoder = JSONDecoder()
            var records: [UnitRunRecord] = []
            for instance in state.live.keys.sorted() {
                for (_, entry) in state.live[instance]!.sorted(by: { $0.key < $1.key }) {
                    guard var record = try? decoder.decode(Line.self, from: entry.runLine).record else { continue }
                    record.spec = entry.spec
                    records.append(record)
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

    private func append(_ bytes: Data, _ state: inout State) {
        guard state.descriptor >= 0 else { return }
        _ = FileReplacing.write(bytes, to: state.descriptor)
        state.lines += 1
        if state.lines > max(1024, 4 * (state.liveCount + state.specs.count)) { rewrite(&state) }
    }

    /// Opens the log on first use: reads what an earlier agent left, then rewrites it.
    private func openIfNeeded(_ state: inout State) {
        guard state.descriptor < 0 else { return }
        if let data = FileManager.default.contents(atPath: path) {
            let decoder = JSONDecoder()
            var specs: [Int: UnitSpec] = [:]
            for slice in data.split(separator: UInt8(ascii: "\n")) {
                let line = Data(slice) + [UInt8(ascii: "\n")]
                guard let entry = try? decoder.decode(Line.self, from: line) else { continue } // a torn last line
                if let spec = entry.spec {
                    specs[spec.id] = spec.spec
                    state.specs[spec.spec] = (spec.id, line)
                    state.nextSpecID = max(state.nextSpecID, spec.id + 1)
                } else if let record = entry.record {
                    var spec: UnitSpec?
                    if let id = entry.specID { spec = specs[id] } else { spec = try? decoder.decode(WholeRecordLine.self, from: line).record.spec }
                    guard let spec else { continue } // its spec line is lost: the record is dropped
                    state.live[record.instance, default: [:]][spec.name] = Entry(spec: spec, specID: entry.specID ?? 0, runLine: line)
                } else if let instance = entry.removed {
                    state.live[instance] = nil
                }
            }
            state.liveCount = state.live.values.reduce(0) { $0 + $1.count }
        }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        rewrite(&state)
    }

    /// Writes the live records and the specs they use to a new file, renames it over the log
    /// and appends to it from now on. Every record line is written anew, naming its spec's ID.
    private func rewrite(_ state: inout State) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        // Built aside and kept only once the new file is in place: until then the old log,
        // with the old IDs, stays the one appended to.
        var specs: [UnitSpec: (id: Int, line: Data)] = [:]
        var live = state.live
        var bytes = Data()
        let decoder = JSONDecoder()
        for (instance, units) in state.live {
            for (unit, entry) in units {
                var kept = entry
                if let known = specs[entry.spec] {
                    kept.specID = known.id
                } else {
                    let known = state.specs[entry.spec]
                    let id = known?.id ?? state.nextSpecID
                    if known == nil { state.nextSpecID += 1 }
                    guard let line = known?.line ?? Self.encode(Line(spec: SpecLine(id: id, spec: entry.spec))) else { continue }
                    specs[entry.spec] = (id, line)
                    bytes.append(line)
                    kept.specID = id
                }
                // A line whose spec has another ID now (or none: an older agent's) is written anew.
                if entry.specID != kept.specID, let record = try? decoder.decode(Line.self, from: entry.runLine).record,
                   let line = Self.encode(Line(record: record, specID: kept.specID), omittingSpec: true) {
                    kept.runLine = line
                }
                bytes.append(kept.runLine)
                live[instance]![unit] = kept
            }
        }
        guard FileReplacing.write(bytes, to: fd), rename(temporary, path) == 0 else { close(fd); return }
        if state.descriptor >= 0 { close(state.descriptor) }
        state.descriptor = fd
        state.live = live
        state.specs = specs
        state.lines = specs.count + state.liveCount
    }

    private static func encode(_ line: Line, omittingSpec: Bool = false) -> Data? {
        let encoder = JSONEncoder()
        if omittingSpec { encoder.userInfo[UnitRunRecord.omittingSpec] = true }
        guard var data = try? encoder.encode(line) else { return nil }
        data.append(UInt8(ascii: "\n"))
        return data
    }
}
