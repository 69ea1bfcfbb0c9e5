import FlotillaModel
import FlotillaStore

/// Commits a ``Decision`` in transactions that each compare the leader key, so a deposed
/// leader cannot write (DESIGN.md §6).
///
/// A decision of at most ``chunkSize`` store operations (etcd's default limit is 128 per
/// transaction) commits in one transaction, at one revision. A larger one commits in three
/// phases, each in chunks of at most ``chunkSize`` operations sent together (the store
/// commits concurrent transactions as a group, and agents get their instances in fewer, larger
/// watch responses than one chunk after another would give them): first every removal, then
/// every assignment, then the decision records. A phase starts only once the one before has
/// committed, so a commit cut short never leaves an instance assigned twice, and a published
/// record never lists a placement whose assignment is not in. A chunk whose compare fails
/// stops the commit after its phase and reports why; the next pass finishes the job.
public struct PlanCommit: Sendable {
    /// Operations per transaction.
    public static let chunkSize = 120
    /// Transactions of one phase sent before the first answer is awaited.
    public static let chunksInFlight = 16

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
        let guarded: @Sendable ([RequestOp]) -> TxnRequest = { chunk in
            TxnRequest(compare: [leader.compare] + deadChecks, success: chunk, failure: [readLeader])
        }
        var phases: [[RequestOp]] = [[], [], []]
        for write in decision.writes {
            phases[write.isRemoval ? 0 : write.isDecisionRecord ? 2 : 1] += operations(write)
        }
        if phases.reduce(0, { $0 + $1.count }) <= Self.chunkSize { phases = [phases.flatMap { $0 }] }
        for phase in phases where !phase.isEmpty {
            let chunks = stride(from: 0, to: phase.count, by: Self.chunkSize).map {
                Array(phase[$0..<min($0 + Self.chunkSize, phase.count)])
            }
            let failed = try await withThrowingTaskGroup(of: TxnResponse.self) { group in
                var pending = chunks[...]
                var failed: TxnResponse?
                while failed == nil, let chunk = pending.popFirst() {
                    group.addTask { try await store.txn(guarded(chunk)) }
                    guard chunks.count - pending.count >= Self.chunksInFlight, let response = try await group.next() else { continue }
                    if !response.succeeded { failed = response }
                }
                for try await response in group where !response.succeeded { failed = response }
                return failed
            }
            if let failed {
                guard case .range(let current)? = failed.responses.first,
                      current.kvs.first?.createRevision == leader.createRevision else { return .lostLeadership }
                return .conflict
            }
        }
        return .committed
    }

    /// Writes each revert as the stack's new version, in a transaction that compares the
    /// leader key and the stack's mod revision (a revert of a spec someone replaced meanwhile
    /// is dropped: the newer apply wins). False when leadership is lost.
    public func revert(_ reverts: [StackRevert], leader: LeaderGuard, at: Double) async throws -> Bool {
        for revert in reverts {
            let key = Bytes(utf8: layout.stack(revert.record.spec.name))
            let response = try await store.txn(TxnRequest(
                compare: [leader.compare, Compare(key: key, .modRevision(revert.expectedRevision), .equal)],
                success: VersionWrites.operations(revert.record, previous: revert.previous, origin: revert.origin, at: at, layout: layout),
                failure: [.range(RangeRequest(key: leader.key))]))
            if !response.succeeded, case .range(let current)? = response.responses.first,
               current.kvs.first?.createRevision != leader.createRevision {
                return false
            }
        }
        return true
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
        case .forget(let stack):
            return [.deleteRange(DeleteRangeRequest(key: key)), .deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.rollout(stack))))]
        case .rollout(let record): return [.put(PutRequest(key: key, value: RecordCodec.encode(record)))]
        case .reschedule(let record): return [.put(PutRequest(key: key, value: RecordCodec.encode(record)))]
        case .forgetReschedule: return [.deleteRange(DeleteRangeRequest(key: key))]
        case .member(let record):
            // Marked down only while the machine is still unregistered: a registration that
            // lands first has written the member record afresh.
            let machine = Bytes(utf8: layout.machine(record.id))
            return [.txn(TxnRequest(compare: [Compare(key: machine, .createRevision(0), .equal)],
                                    success: [.put(PutRequest(key: key, value: RecordCodec.encode(record)))]))]
        case .unassign(_, let instance):
            let statuses = Bytes(utf8: layout.statuses(of: instance))
            return [.deleteRange(DeleteRangeRequest(key: key)),
                    .deleteRange(DeleteRangeRequest(key: statuses, rangeEnd: KeyRange.prefixEnd(statuses)))]
        }
    }
}
