import FlotillaModel
import FlotillaStore

/// Reads the records the controller (and the API) decide from, all at one store revision.
public struct ClusterReader: Sendable {
    /// The store.
    public let store: any KeyValueStore
    /// Where records live.
    public let layout: StoreLayout

    /// Creates a reader.
    public init(store: any KeyValueStore, layout: StoreLayout) {
        self.store = store
        self.layout = layout
    }

    /// Machines, stacks, assignments and placement failures in one transaction, so they are
    /// consistent with each other. A value that does not decode is an error naming its key.
    public func read() async throws -> ClusterState {
        let prefixes = [layout.machines, layout.stacks, layout.assignments, layout.pendings]
        let response = try await store.txn(TxnRequest(success: prefixes.map { .range(.prefix(Bytes(utf8: $0))) }))
        var ranges: [[KeyValue]] = []
        for op in response.responses { if case .range(let r) = op { ranges.append(r.kvs) } }
        guard ranges.count == 4 else { throw StoreError(.internal, "cluster read returned \(ranges.count) ranges, expected 4") }
        var state = ClusterState(revision: response.header.revision)
        for kv in ranges[0] {
            state.machines.append(try RecordCodec.decode(MachineRecord.self, from: kv.value, key: kv.key.utf8String))
        }
        for kv in ranges[1] {
            let record = try RecordCodec.decode(StackRecord.self, from: kv.value, key: kv.key.utf8String)
            state.stacks[record.spec.name] = .init(record: record, revision: kv.modRevision)
        }
        for kv in ranges[2] {
            let assignment = try RecordCodec.decode(Assignment.self, from: kv.value, key: kv.key.utf8String)
            state.assignments[assignment.instance] = .init(assignment: assignment, revision: kv.modRevision)
        }
        for kv in ranges[3] {
            let pending = try RecordCodec.decode(PendingRecord.self, from: kv.value, key: kv.key.utf8String)
            state.pendings[pending.instance] = pending
        }
        return state
    }
}
