import FlotillaController
import FlotillaModel
import FlotillaStore
import Foundation

extension APIRoutes {
    /// `GET /v1/reboot[/{group}]`.
    func rebootStatus(_ group: String?) async throws -> RebootStatusReport {
        if let group { try checkGroup(group) }
        let now = Date().timeIntervalSince1970
        return RebootStatusReport(groups: try await reboots.status(group: group, now: now), now: now)
    }

    /// `POST /v1/reboot/{group}/lock`: asks for a slot for the machine, as its agent's `lock`
    /// strategy would (the capacity check, then the drain); repeated, it reports the drain.
    func rebootLock(_ group: String, _ request: RebootLockRequest) async throws -> RebootLockResponse {
        try checkGroup(group)
        let machine = try await knownMachine(request.machine)
        let outcome = try await reboots.request(machine: machine, group: group, reason: "locked through the API", now: Date().timeIntervalSince1970)
        switch outcome {
        case .ready: return RebootLockResponse(machine: machine, group: group, outcome: "ready")
        case .draining(let why): return RebootLockResponse(machine: machine, group: group, outcome: "draining", reasons: why)
        case .waiting(let why): return RebootLockResponse(machine: machine, group: group, outcome: "waiting", reasons: why)
        case .full(let why): return RebootLockResponse(machine: machine, group: group, outcome: "full", reasons: why)
        }
    }

    /// `POST /v1/reboot/{group}/unlock`: gives the machine's slot back (idempotent).
    func rebootUnlock(_ group: String, _ request: RebootLockRequest) async throws -> RebootLockResponse {
        try checkGroup(group)
        let machine = try await knownMachine(request.machine)
        let released = try await reboots.release(machine: machine, group: group, why: "unlocked through the API", now: Date().timeIntervalSince1970)
        return RebootLockResponse(machine: machine, group: group, outcome: released ? "released" : "not-held")
    }

    /// `POST /v1/reboot/{group}/slots`.
    func rebootSlots(_ group: String, _ request: RebootSlotsRequest) async throws -> RebootStatusReport {
        try checkGroup(group)
        guard (0...10_000).contains(request.slots) else {
            throw APIError.badRequest("slots must be from 0 (no reboots) to 10000, got \(request.slots)")
        }
        if let timeout = request.holdTimeout, !(timeout >= 1 && timeout <= 30 * 86_400) {
            throw APIError.badRequest("hold timeout must be from 1 s to 30 days, got \(timeout) s")
        }
        let now = Date().timeIntervalSince1970
        let group = try await reboots.configure(group: group, slots: request.slots, holdTimeout: request.holdTimeout, now: now)
        return RebootStatusReport(groups: [group], now: now)
    }

    /// `GET /v1/reboot-history?last=N`: the newest reboot events (kinds `reboot-…`) among the
    /// newest 20,000 events, oldest first.
    func rebootHistory(query: [String: String]) async throws -> EventsPage {
        let lastText = query["last"] ?? "50"
        guard let last = Int(lastText), (1...1000).contains(last) else {
            throw APIError.badRequest("last must be a number from 1 to 1000, got '\(lastText)'")
        }
        let prefix = Bytes(utf8: layout.events)
        let response = try await store.range(RangeRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(prefix), limit: 20_000,
                                                          sortOrder: .descend, sortTarget: .key))
        var entries: [EventsPage.Entry] = []
        for kv in response.kvs where entries.count < last {
            let key = kv.key.utf8String
            let event = try RecordCodec.decode(EventRecord.self, from: kv.value, key: key)
            guard event.kind.hasPrefix("reboot-") else { continue }
            entries.append(EventsPage.Entry(key: layout.suffix(of: key, under: layout.events) ?? key, event: event))
        }
        return EventsPage(events: entries.reversed(), more: false, revision: response.header.revision)
    }

    private func checkGroup(_ group: String) throws {
        guard RebootSettings.isValidGroup(group) else {
            throw APIError.badRequest("reboot group '\(group)' must be letters, digits, '.' and '-'")
        }
    }

    /// The machine a reboot request names (a full ID or a prefix of one registered or known
    /// member), or the answering agent's own.
    private func knownMachine(_ given: String?) async throws -> String {
        guard let given else { return machineID }
        let read = try await store.txn(TxnRequest(success: [layout.machines, layout.members].map { .range(.prefix(Bytes(utf8: $0)).keysOnlyCopy) }))
        var known = Set<String>()
        for case .range(let range) in read.responses {
            for kv in range.kvs {
                let key = kv.key.utf8String
                if let id = layout.suffix(of: key, under: layout.machines) ?? layout.suffix(of: key, under: layout.members) { known.insert(id) }
            }
        }
        return try resolveMachine(given, among: known)
    }
}
