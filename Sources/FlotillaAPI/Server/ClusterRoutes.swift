import FlotillaModel
import FlotillaStore
import Hummingbird

extension APIRoutes {
    /// `GET /v1/health`: 200 when the store answers, 503 otherwise (same body).
    func health() async -> Response {
        do {
            let response = try await store.range(RangeRequest(
                key: Bytes(utf8: layout.leader + "/"), rangeEnd: KeyRange.prefixEnd(Bytes(utf8: layout.leader + "/")),
                limit: 1, sortOrder: .ascend, sortTarget: .create))
            return JSONResponse.make(HealthReport(machine: machineID, storeReachable: true,
                                                  leader: response.kvs.first?.value.utf8String, revision: response.header.revision))
        } catch {
            let problem = "the store did not answer: \(error); check the agent's --store setting and that the store is up"
            return JSONResponse.make(HealthReport(machine: machineID, storeReachable: false, problem: problem),
                                     status: .serviceUnavailable)
        }
    }

    /// `GET /v1/machines`: records, usage, state, cordons and assignment counts.
    func machines() async throws -> MachinesReport {
        let prefixes = [layout.machines, layout.usages, layout.assignments, layout.cordons, layout.members]
        let response = try await store.txn(TxnRequest(success: prefixes.map { .range(.prefix(Bytes(utf8: $0))) }))
        let ranges = response.responses.compactMap { op -> [KeyValue]? in if case .range(let r) = op { r.kvs } else { nil } }
        guard ranges.count == prefixes.count else {
            throw APIError(.internalServerError, "the store answered a \(prefixes.count)-range read with \(ranges.count) results; check the store")
        }
        var records: [String: MachineRecord] = [:]
        for kv in ranges[0] {
            let record = try RecordCodec.decode(MachineRecord.self, from: kv.value, key: kv.key.utf8String)
            records[record.id] = record
        }
        var usages: [String: MachineUsage] = [:]
        for kv in ranges[1] {
            guard let id = layout.suffix(of: kv.key.utf8String, under: layout.usages) else { continue }
            usages[id] = try RecordCodec.decode(MachineUsage.self, from: kv.value, key: kv.key.utf8String)
        }
        var load: [String: (instances: Int, units: Int)] = [:]
        for kv in ranges[2] {
            let assignment = try RecordCodec.decode(Assignment.self, from: kv.value, key: kv.key.utf8String)
            load[assignment.machine, default: (0, 0)].instances += 1
            load[assignment.machine, default: (0, 0)].units += assignment.units.count
        }
        var cordons: [String: CordonRecord] = [:]
        for kv in ranges[3] {
            let record = try RecordCodec.decode(CordonRecord.self, from: kv.value, key: kv.key.utf8String)
            cordons[record.machine] = record
        }
        var members: [String: MachineRecord] = [:]
        for kv in ranges[4] {
            let record = try RecordCodec.decode(MachineRecord.self, from: kv.value, key: kv.key.utf8String)
            members[record.id] = record
        }
        let ids = Set(records.keys).union(load.keys).union(cordons.keys).union(members.keys).sorted()
        return MachinesReport(revision: response.header.revision, machines: ids.map { id in
            let alive = records[id] != nil
            var report = MachineReport(id: id, record: records[id] ?? members[id], usage: alive ? usages[id] : nil,
                                       state: alive ? "alive" : "down", cordon: cordons[id]?.state,
                                       instances: load[id]?.instances ?? 0, units: load[id]?.units ?? 0)
            if !alive { report.downSince = members[id]?.downSince }
            return report
        })
    }

    /// `GET /v1/events?after=KEY&limit=N[&wait=SECONDS]` (or `?last=N` for the newest N):
    /// events in key order. With `wait`, a long-poll for `events -f`: when no event follows
    /// `after` yet, the answer waits (a store watch) until one is written or the time is up.
    func events(query: [String: String]) async throws -> EventsPage {
        guard let text = query["wait"] else { return try await eventsPage(query: query) }
        guard query["last"] == nil, let seconds = Double(text), seconds >= 0 else {
            throw APIError.badRequest("wait=S follows events after a key: give after=KEY (or nothing) and a number of seconds, got wait='\(text)'")
        }
        let page = try await eventsPage(query: query)
        guard page.events.isEmpty else { return page }
        let limit = min(Self.maxStatusWait, .milliseconds(Int64(min(seconds, 3600) * 1000)))
        guard await StoreChange(store: store).wait(prefixes: [layout.events], after: page.revision, limit: limit) else { return page }
        return try await eventsPage(query: query)
    }

    private func eventsPage(query: [String: String]) async throws -> EventsPage {
        let prefix = Bytes(utf8: layout.events)
        let end = KeyRange.prefixEnd(prefix)
        if let last = query["last"] {
            guard let count = Int(last), count > 0, count <= 1000 else {
                throw APIError.badRequest("last must be a number from 1 to 1000, got '\(last)'")
            }
            let response = try await store.range(RangeRequest(key: prefix, rangeEnd: end, limit: Int64(count),
                                                              sortOrder: .descend, sortTarget: .key))
            return try page(response.kvs.reversed(), more: false, revision: response.header.revision)
        }
        let limitText = query["limit"] ?? "100"
        guard let limit = Int(limitText), limit > 0, limit <= 1000 else {
            throw APIError.badRequest("limit must be a number from 1 to 1000, got '\(limitText)'")
        }
        var start = prefix
        if let after = query["after"], !after.isEmpty { start = Bytes(utf8: layout.events + after) + [0] }
        let response = try await store.range(RangeRequest(key: start, rangeEnd: end, limit: Int64(limit)))
        return try page(response.kvs, more: response.more, revision: response.header.revision)
    }

    private func page(_ kvs: [KeyValue], more: Bool, revision: Int64) throws -> EventsPage {
        let entries = try kvs.map { kv in
            let key = kv.key.utf8String
            return EventsPage.Entry(key: layout.suffix(of: key, under: layout.events) ?? key,
                                    event: try RecordCodec.decode(EventRecord.self, from: kv.value, key: key))
        }
        return EventsPage(events: entries, more: more, revision: revision)
    }
}
