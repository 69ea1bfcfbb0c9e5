import FlotillaModel
import FlotillaStore

/// Commits a ``Decision`` in transactions that each compare the leader key, so a deposed
/// leader cannot write (DESIGN.md §6).
///
/// Writes go in order in chunks of at most ``chunkSize`` store operations (etcd's default limit is
/// 128 per transaction); a chunk whose compare fails stops the commit and reports that
/// leadership is lost. Because ``Decision/writes`` lists removals before additions, a commit
/// cut short never leaves an instance assigned twice; the next pass finishes the job.
///
/// The decision records come last, so they share the final transaction with the last
/// assignments (a decision small enough for one transaction commits everything at one
/// revision), and a published record never lists a placement whose assignment is not in:
/// a commit cut short publishes nothing, and the next pass decides again.
public struct PlanCommit: Sendable {
    /// Operations per transaction.
    public static let chunkSize = 120

    public let store: any KeyValueStore
    public let layout: StoreLayout

    public init(store: any KeyValueStore, layout: StoreLayout) {
        self.store = store
        self.layout = layout
    }

    /// How a commit ended.
    public enum Outcome: Sendable, Hashable {
        /// Every write is in.
        case committed
        /// The leader key is gone or new: this controller must stop writing.
        case lostLeadership
        /// A machine the decision treated as dead registered again: re-read and decide again.
        case conflict
    }

    /// Writes `decision` under `leader`, in chunks that each also check that the decision's
    /// dead machines are still unregistered.
    public func commit(_ decision: Decision, leader: LeaderGuard) async throws -> Outcome {
        let deadChecks = decision.deadMachines.sorted().map {
            Compare(key: Bytes(utf8: layout.machine($0)), .createRevision(0), .equal)
        }
        let readLeader = RequestOp.range(RangeRequest(key: leader.key))
        let operations = decision.writes.flatMap(operations)
        var index = 0
        while index < operations.count {
            let chunk = Array(operations[index..<min(index + Self.chunkSize, operations.count)])
            let request = TxnRequest(compare: [leader.compare] + deadChecks, success: chunk, failure: [readLeader])
            let response = try await store.txn(request)
            if !response.succeeded {
                guard case .range(let current)? = response.responses.first,
                      current.kvs.first?.createRevision == leader.createRevision else { return .lostLeadership }
                return .conflict
            }
            index += chunk.count
        }
        return .committed
    }

    /// Records events under `lease` (0: none), guarded like the writes.
    public func record(_ events: [EventRecord], lease: Int64, leader: LeaderGuard, sequence: inout UInt64) async throws -> Bool {
        var operations: [RequestOp] = []
        for event in events {
            sequence += 1
            let key = layout.event(unixNanoseconds: UInt64(max(0, event.at) * 1e9), sequence: sequence)
            operations.append(.put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(event), lease: lease)))
        }
        var index = 0
        while index < operations.count {
            let chunk = Array(operations[index..<min(index + Self.chunkSize, operations.count)])
            guard try await store.txn(TxnRequest(compare: [leader.compare], success: chunk)).succeeded else { return false }
            index += chunk.count
        }
        return true
    }

    /// The store operations of one write. Taking an instance away from a machine also deletes
    /// the instance's statuses: they were that machine's, and the next owner writes its own
    /// (agents write a status only while they hold the assignment; see `StatusPublisher`).
    private func operations(_ write: ControllerWrite) -> [RequestOp] {
        let key = Bytes(utf8: write.key(in: layout))
        switch write {
        case .assign(let assignment): return [.put(PutRequest(key: key, value: RecordCodec.encode(assignment)))]
        case .decide(let record): return [.put(PutRequest(key: key, value: RecordCodec.encode(record)))]
        case .forget: return [.deleteRange(DeleteRangeRequest(key: key))]
        case .unassign(_, let instance):
            let statuses = Bytes(utf8: layout.statuses(of: instance))
            return [.deleteRange(DeleteRangeRequest(key: key)),
                    .deleteRange(DeleteRangeRequest(key: statuses, rangeEnd: KeyRange.prefixEnd(statuses)))]
        }
    }
}
