import FlotillaModel
import FlotillaStore
import Foundation

extension APIRoutes {
    /// `POST /v1/machines/{id}/cordon|drain|uncordon`: writes or removes the machine's cordon
    /// record (`cordons/<id>`); the controller does the rest (no new instances on a cordoned
    /// machine; a draining machine's instances move). `id` is a machine ID or a prefix of
    /// exactly one. Nothing is written when the machine is already in that state.
    func setCordon(_ given: String, draining: Bool?) async throws -> CordonChange {
        for _ in 0..<5 {
            let read = try await store.txn(TxnRequest(success: [layout.machines, layout.cordons].map { .range(.prefix(Bytes(utf8: $0))) }))
            let ranges = read.responses.compactMap { op -> [KeyValue]? in if case .range(let r) = op { r.kvs } else { nil } }
            guard ranges.count == 2 else { throw APIError(.internalServerError, "the store answered a two-range read with \(ranges.count) results") }
            var cordons: [String: (record: CordonRecord, revision: Int64)] = [:]
            for kv in ranges[1] {
                let record = try RecordCodec.decode(CordonRecord.self, from: kv.value, key: kv.key.utf8String)
                cordons[record.machine] = (record, kv.modRevision)
            }
            let known = Set(ranges[0].compactMap { layout.suffix(of: $0.key.utf8String, under: layout.machines) }).union(cordons.keys)
            let machine = try resolveMachine(given, among: known)
            let current = cordons[machine]
            let key = Bytes(utf8: layout.cordon(machine))
            let guarded = Compare(key: key, .modRevision(current?.revision ?? 0), .equal)
            let write: RequestOp
            switch (draining, current?.record) {
            case (nil, nil):
                return CordonChange(machine: machine, previous: nil, state: nil, revision: read.header.revision, changed: false)
            case (nil, .some):
                write = .deleteRange(DeleteRangeRequest(key: key))
            case (let draining?, let record) where record?.draining == draining:
                return CordonChange(machine: machine, previous: record?.state, state: record?.state, revision: read.header.revision, changed: false)
            case (let draining?, _):
                let record = CordonRecord(machine: machine, draining: draining, since: Date().timeIntervalSince1970)
                write = .put(PutRequest(key: key, value: RecordCodec.encode(record)))
            }
            let response = try await store.txn(TxnRequest(compare: [guarded], success: [write]))
            guard response.succeeded else { continue }
            return CordonChange(machine: machine, previous: current?.record.state,
                                state: draining.map { $0 ? "draining" : "cordoned" }, revision: response.header.revision, changed: true)
        }
        throw APIError(.conflict, "machine \(given)'s cordon kept changing while it was being set; try again")
    }

    /// The one machine `given` names: its full ID, or a prefix of exactly one known ID.
    func resolveMachine(_ given: String, among known: Set<String>) throws -> String {
        if known.contains(given) { return given }
        let matches = known.filter { $0.hasPrefix(given) }.sorted()
        switch matches.count {
        case 1: return matches[0]
        case 0: throw APIError.notFound("no machine '\(given)' is registered or cordoned; `flotilla machines` lists them")
        default: throw APIError.badRequest("'\(given)' is the start of \(matches.count) machine IDs (\(matches.joined(separator: ", "))); give more of it")
        }
    }
}

extension APIRoutes {
    /// `DELETE /v1/machines/{id}`: forgets a machine that is down: its member record (which
    /// keeps it in `machines` while it is down) and its cordon. Refused for a machine that is
    /// registered (stop its agent first) or still holds assignments (they move, or wait for
    /// it, first).
    func forgetMachine(_ given: String) async throws -> CordonChange {
        let read = try await store.txn(TxnRequest(success: [layout.machines, layout.members, layout.assignments].map {
            .range(.prefix(Bytes(utf8: $0)).keysOnlyCopy)
        }))
        let ranges = read.responses.compactMap { op -> [KeyValue]? in if case .range(let r) = op { r.kvs } else { nil } }
        guard ranges.count == 3 else { throw APIError(.internalServerError, "the store answered a three-range read with \(ranges.count) results") }
        let alive = Set(ranges[0].compactMap { layout.suffix(of: $0.key.utf8String, under: layout.machines) })
        let members = Set(ranges[1].compactMap { layout.suffix(of: $0.key.utf8String, under: layout.members) })
        let machine = try resolveMachine(given, among: alive.union(members))
        guard !alive.contains(machine) else {
            throw APIError(.conflict, "machine \(machine) is registered (its agent runs); drain it and stop its agent before forgetting it")
        }
        let held = ranges[2].filter { $0.key.utf8String.hasPrefix(layout.assignments(of: machine)) }.count
        guard held == 0 else {
            throw APIError(.conflict, "machine \(machine) still holds \(held) assignment\(held == 1 ? "" : "s"); they move once the controller sees it down (flotilla status shows them)")
        }
        // Only if the machine is still unregistered and holds nothing: an agent that starts,
        // or an assignment written, after the read keeps the machine.
        let assignments = Bytes(utf8: layout.assignments(of: machine))
        let response = try await store.txn(TxnRequest(compare: [
            Compare(key: Bytes(utf8: layout.machine(machine)), .createRevision(0), .equal),
            Compare(key: assignments, .createRevision(0), .equal, rangeEnd: KeyRange.prefixEnd(assignments)),
        ], success: [
            .deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.member(machine)))),
            .deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.cordon(machine)))),
        ]))
        guard response.succeeded else {
            throw APIError(.conflict, "machine \(machine) registered again or was given work while being forgotten; nothing was changed")
        }
        return CordonChange(machine: machine, previous: "down", state: nil, revision: response.header.revision, changed: true)
    }
}
