import FlotillaModel
import FlotillaStore
import Synchronization

/// Reads the records the controller (and the API) decide from, all at one store revision.
public struct ClusterReader: Sendable {
    public let store: any KeyValueStore
    public let layout: StoreLayout

    /// The records the last read decoded, when kept between reads.
    private let memory: DecodedRecords?

    /// Creates a reader. One `remembering` what it decoded decodes again only the records
    /// that changed since its last read (by mod revision): the reconcile loop reads the whole
    /// cluster on every pass, and decoding thousands of unchanged assignments each time
    /// would dominate the pass.
    public init(store: any KeyValueStore, layout: StoreLayout, remembering: Bool = false) {
        self.store = store
        self.layout = layout
        memory = remembering ? DecodedRecords() : nil
    }

    /// Machines, stacks, assignments, the published decisions, the cordons, rollouts and
    /// promotions in one transaction, so they are consistent with each other; then, at the
    /// same revision, the versions and unit statuses of stacks that may be rolling out and the
    /// values the stacks' `env_from` entries read. A value that does not decode is an error
    /// naming its key.
    public func read() async throws -> ClusterState {
        let prefixes = [layout.machines, layout.stacks, layout.assignments, layout.decisions, layout.cordons,
                        layout.rollouts, layout.promotions, layout.reschedules, layout.members]
        let response = try await store.txn(TxnRequest(success: prefixes.map { .range(.prefix(Bytes(utf8: $0))) }))
        var ranges: [[KeyValue]] = []
        for op in response.responses { if case .range(let r) = op { ranges.append(r.kvs) } }
        guard ranges.count == prefixes.count else {
            throw StoreError(.internal, "cluster read returned \(ranges.count) ranges, expected \(prefixes.count)")
        }
        let previous = memory?.take() ?? [:]
        var kept: [Bytes: DecodedRecords.Entry] = [:]
        func decode<Record: Decodable & Sendable>(_ type: Record.Type, _ kv: KeyValue) throws -> Record {
            if let hit = previous[kv.key], hit.modRevision == kv.modRevision, let record = hit.record as? Record {
                kept[kv.key] = hit
                return record
            }
            let record = try RecordCodec.decode(type, from: kv.value, key: kv.key.utf8String)
            if memory != nil { kept[kv.key] = DecodedRecords.Entry(modRevision: kv.modRevision, record: record) }
            return record
        }
        var state = ClusterState(revision: response.header.revision)
        for kv in ranges[0] {
            let machine = try decode(MachineRecord.self, kv)
            state.machines.append(machine)
            if kv.lease != 0 { state.machineLeases[machine.id] = kv.lease }
        }
        for kv in ranges[1] {
            let record = try decode(StackRecord.self, kv)
            state.stacks[record.spec.name] = .init(record: record, revision: kv.modRevision)
        }
        for kv in ranges[2] {
            let assignment = try decode(Assignment.self, kv)
            state.assignments[assignment.instance] = .init(assignment: assignment, revision: kv.modRevision)
        }
        for kv in ranges[3] {
            let decision = try decode(DecisionRecord.self, kv)
            state.decisions[decision.stack] = decision
        }
        for kv in ranges[4] {
            let cordon = try decode(CordonRecord.self, kv)
            state.cordons[cordon.machine] = cordon
        }
        for kv in ranges[5] {
            let rollout = try decode(RolloutRecord.self, kv)
            state.rollouts[rollout.stack] = rollout
        }
        for kv in ranges[6] {
            guard let stack = layout.suffix(of: kv.key.utf8String, under: layout.promotions) else { continue }
            state.promotions[stack] = Int64(String(decoding: kv.value, as: UTF8.self)) ?? 0
        }
        for kv in ranges[7] {
            let record = try decode(RescheduleRecord.self, kv)
            state.reschedules[record.instance] = record
        }
        for kv in ranges[8] {
            let member = try decode(MachineRecord.self, kv)
            state.members[member.id] = member
        }
        memory?.keep(kept)
        try await readRolling(into: &state)
        for entry in StoreEnvironment.entries(in: state.stacks) {
            var request = StoreEnvironment.range(of: entry)
            request.revision = state.revision   // the same revision as the rest
            var values: [String: String] = [:]
            for kv in try await store.range(request).kvs { values[kv.key.utf8String] = String(decoding: kv.value, as: UTF8.self) }
            state.storeValues[entry] = values
        }
        return state
    }
}

extension ClusterReader {
    /// The versions of the stacks a rollout may touch (``ClusterState/rollingStacks``), and
    /// the unit statuses of those and of the stacks with a `reschedule:` policy, at the
    /// state's revision.
    private func readRolling(into state: inout ClusterState) async throws {
        let rolling = state.rollingStacks
        for stack in rolling {
            state.versions[stack] = try await VersionWrites.read(stack, from: store, layout: layout, revision: state.revision)
                .map { ClusterState.StoredVersion(version: $0.version, revision: $0.revision) }
        }
        try await readStatuses(of: Set(rolling).union(state.reschedulingStacks), into: &state)
    }

    /// The unit statuses of `stacks`' assigned instances, at the state's revision (what
    /// ``ClusterState/isAvailable(_:)`` needs; ``read()`` reads only those a rollout or a
    /// reschedule needs).
    public func readStatuses(of stacks: Set<String>, into state: inout ClusterState) async throws {
        for stack in stacks.sorted() {
            let instances = Set(state.assignments.values.filter { $0.assignment.stack == stack }.map(\.assignment.instance))
            var request = RangeRequest.prefix(Bytes(utf8: layout.statuses + stack))
            request.revision = state.revision
            for kv in try await store.range(request).kvs {
                guard let status = try? RecordCodec.decode(UnitStatus.self, from: kv.value, key: kv.key.utf8String),
                      instances.contains(status.instance) else { continue }
                guard !(state.statuses[status.instance]?.contains(status) ?? false) else { continue }
                state.statuses[status.instance, default: []].append(status)
            }
        }
    }
}

/// The records a ``ClusterReader`` decoded, by key, with the mod revision they were read at
/// (a key's value never changes without its mod revision changing).
private final class DecodedRecords: Sendable {
    struct Entry: Sendable {
        var modRevision: Int64
        var record: any Sendable
    }

    private let entries = Mutex<[Bytes: Entry]>([:])

    /// What the last read kept, leaving nothing behind (reads of one reader do not overlap).
    func take() -> [Bytes: Entry] { entries.withLock { entries in defer { entries = [:] }; return entries } }

    /// Keeps a read's records for the next read.
    func keep(_ records: [Bytes: Entry]) { entries.withLock { $0 = records } }
}
