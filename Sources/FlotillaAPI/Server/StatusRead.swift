import FlotillaController
import FlotillaModel
import FlotillaStore

/// What `status` reports from, read in one transaction so it is consistent: stacks, the
/// controller's decision records, assignments, unit statuses, rollouts and reschedule
/// records (no machines, no planning).
struct StatusRead {
    /// Stacks by name, with their spec revision.
    var stacks: [String: ClusterState.StoredStack] = [:]
    /// The controller's published decisions by stack.
    var decisions: [String: DecisionRecord] = [:]
    /// Assignments by instance, with their fencing token.
    var assignments: [String: ClusterState.StoredAssignment] = [:]
    /// Rollout records by stack.
    var rollouts: [String: RolloutRecord] = [:]
    /// Reschedule records by stack, sorted by instance.
    var reschedules: [String: [RescheduleRecord]] = [:]
    /// Unit statuses by instance and unit.
    var statuses: [String: [String: UnitStatus]] = [:]
    /// The store revision of the read.
    var revision: Int64 = 0
    /// Instance → the stack whose decision wants it.
    private var wantedBy: [String: String] = [:]

    /// Reads the six prefixes at one revision; a value that does not decode is an error naming its key.
    init(store: any KeyValueStore, layout: StoreLayout) async throws {
        let prefixes = [layout.stacks, layout.decisions, layout.assignments, layout.statuses, layout.rollouts, layout.reschedules]
        let response = try await store.txn(TxnRequest(success: prefixes.map { .range(.prefix(Bytes(utf8: $0))) }))
        let ranges = response.responses.compactMap { op -> [KeyValue]? in if case .range(let r) = op { r.kvs } else { nil } }
        guard ranges.count == prefixes.count else {
            throw APIError(.internalServerError, "the store answered a \(prefixes.count)-range read with \(ranges.count) results; check the store")
        }
        revision = response.header.revision
        for kv in ranges[0] {
            let record = try RecordCodec.decode(StackRecord.self, from: kv.value, key: kv.key.utf8String)
            stacks[record.spec.name] = .init(record: record, revision: kv.modRevision)
        }
        for kv in ranges[1] {
            let record = try RecordCodec.decode(DecisionRecord.self, from: kv.value, key: kv.key.utf8String)
            decisions[record.stack] = record
            for instance in record.placed.keys { wantedBy[instance] = record.stack }
            for instance in record.unplaced.keys { wantedBy[instance] = record.stack }
        }
        for kv in ranges[2] {
            let assignment = try RecordCodec.decode(Assignment.self, from: kv.value, key: kv.key.utf8String)
            assignments[assignment.instance] = .init(assignment: assignment, revision: kv.modRevision)
        }
        for kv in ranges[3] {
            let status = try RecordCodec.decode(UnitStatus.self, from: kv.value, key: kv.key.utf8String)
            statuses[status.instance, default: [:]][status.unit] = status
        }
        for kv in ranges[4] {
            let record = try RecordCodec.decode(RolloutRecord.self, from: kv.value, key: kv.key.utf8String)
            rollouts[record.stack] = record
        }
        for kv in ranges[5] {
            let record = try RecordCodec.decode(RescheduleRecord.self, from: kv.value, key: kv.key.utf8String)
            reschedules[record.stack, default: []].append(record)
        }
    }

    /// The stack whose decision wants `instance`, if any.
    func stackOf(_ instance: String) -> String? { wantedBy[instance] }
}
