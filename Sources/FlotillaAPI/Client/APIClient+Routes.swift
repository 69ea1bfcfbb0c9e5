import FlotillaModel
import Foundation

/// One typed method per route.
extension APIClient {
    /// `GET /v1/health` (also when the agent answers 503: its store is unreachable).
    public func health() async throws -> HealthReport {
        try await send("GET", "/v1/health", as: HealthReport.self, acceptingErrorBody: true)
    }

    /// `POST /v1/apply`.
    public func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
        try await send("POST", "/v1/apply", body: request, as: ApplyResponse.self)
    }

    /// `POST /v1/plan`.
    public func plan(_ request: PlanRequest) async throws -> PlanResponse {
        try await send("POST", "/v1/plan", body: request, as: PlanResponse.self)
    }

    /// `GET /v1/status[?stack=NAME]`.
    public func status(stack: String? = nil) async throws -> StatusReport {
        try await send("GET", "/v1/status", query: stack.map { [URLQueryItem(name: "stack", value: $0)] } ?? [], as: StatusReport.self)
    }

    /// `GET /v1/status?after=REVISION&wait=SECONDS`: a long-poll that answers once a stack,
    /// decision record, assignment or unit status changed after `revision` (the revision of
    /// the previous report), or after `wait` seconds (kept below the client's timeout).
    public func status(stack: String? = nil, after revision: Int64, wait: Double = 20) async throws -> StatusReport {
        var query = [URLQueryItem(name: "after", value: String(revision)),
                     URLQueryItem(name: "wait", value: String(max(0, min(wait, timeout - 5))))]
        if let stack { query.append(URLQueryItem(name: "stack", value: stack)) }
        return try await send("GET", "/v1/status", query: query, as: StatusReport.self)
    }

    /// `GET /v1/machines`.
    public func machines() async throws -> MachinesReport {
        try await send("GET", "/v1/machines", as: MachinesReport.self)
    }

    /// `POST /v1/machines/{id}/cordon|drain|uncordon`: `action` is one of those three words.
    public func cordon(machine: String, _ action: String) async throws -> CordonChange {
        try await send("POST", "/v1/machines/\(Self.segment(machine))/\(action)", as: CordonChange.self)
    }

    /// `GET /v1/reboot[/{group}]`.
    public func rebootStatus(group: String?) async throws -> RebootStatusReport {
        try await send("GET", "/v1/reboot" + (group.map { "/" + Self.segment($0) } ?? ""), as: RebootStatusReport.self)
    }

    /// `POST /v1/reboot/{group}/lock|unlock` (`action`) for `machine` (nil: the agent's own).
    public func reboot(_ action: String, group: String, machine: String?) async throws -> RebootLockResponse {
        try await send("POST", "/v1/reboot/\(Self.segment(group))/\(action)", body: RebootLockRequest(machine: machine), as: RebootLockResponse.self)
    }

    /// `POST /v1/reboot/{group}/slots`.
    public func rebootSlots(group: String, slots: Int, holdTimeout: Double?) async throws -> RebootStatusReport {
        try await send("POST", "/v1/reboot/\(Self.segment(group))/slots", body: RebootSlotsRequest(slots: slots, holdTimeout: holdTimeout),
                       as: RebootStatusReport.self)
    }

    /// `GET /v1/reboot-history?last=N`.
    public func rebootHistory(last: Int) async throws -> EventsPage {
        try await send("GET", "/v1/reboot-history", query: [URLQueryItem(name: "last", value: "\(last)")], as: EventsPage.self)
    }

    /// `DELETE /v1/machines/{id}`: forget a machine that is down.
    public func forget(machine: String) async throws -> CordonChange {
        try await send("DELETE", "/v1/machines/\(Self.segment(machine))", as: CordonChange.self)
    }

    /// `GET /v1/stacks/{name}/history`.
    public func history(stack: String) async throws -> HistoryReport {
        try await send("GET", "/v1/stacks/\(Self.segment(stack))/history", as: HistoryReport.self)
    }

    /// `POST /v1/stacks/{name}/rollback`.
    public func rollback(stack: String, to version: Int?) async throws -> ApplyResponse {
        try await send("POST", "/v1/stacks/\(Self.segment(stack))/rollback", body: RollbackRequest(to: version), as: ApplyResponse.self)
    }

    /// `POST /v1/stacks/{name}/promote`.
    public func promote(stack: String) async throws -> PromoteResponse {
        try await send("POST", "/v1/stacks/\(Self.segment(stack))/promote", as: PromoteResponse.self)
    }

    /// `GET /v1/logs/{instance}/{unit}?last=N`: the last lines of a unit's journal.
    public func logs(instance: String, unit: String, last: Int) async throws -> LogChunk {
        try await logs(instance: instance, unit: unit, last: last, forwarded: false)
    }

    /// `GET /v1/logs/{instance}/{unit}?offset=O`: the lines written since `offset`.
    public func logs(instance: String, unit: String, offset: Int64) async throws -> LogChunk {
        try await logs(instance: instance, unit: unit, offset: offset, forwarded: false)
    }

    func logs(instance: String, unit: String, last: Int, forwarded: Bool) async throws -> LogChunk {
        try await send("GET", Self.logsPath(instance, unit), query: [URLQueryItem(name: "last", value: String(last))],
                       headers: forwarded ? Self.forwardHeaders : [:], as: LogChunk.self)
    }

    /// `GET /v1/logs/{instance}/{unit}?offset=O&wait=S`: the lines written since `offset`;
    /// when there are none yet, the agent answers as soon as one is written, or after `wait`
    /// seconds with none (kept below the client's timeout). What `logs -f` repeats.
    public func logs(instance: String, unit: String, offset: Int64, wait: Double) async throws -> LogChunk {
        try await logs(instance: instance, unit: unit, offset: offset, wait: wait, forwarded: false)
    }

    func logs(instance: String, unit: String, offset: Int64, forwarded: Bool) async throws -> LogChunk {
        try await logs(instance: instance, unit: unit, offset: offset, wait: nil, forwarded: forwarded)
    }

    func logs(instance: String, unit: String, offset: Int64, wait: Double?, forwarded: Bool) async throws -> LogChunk {
        var query = [URLQueryItem(name: "offset", value: String(offset))]
        if let wait { query.append(URLQueryItem(name: "wait", value: String(max(0, min(wait, timeout - 5))))) }
        return try await send("GET", Self.logsPath(instance, unit), query: query,
                              headers: forwarded ? Self.forwardHeaders : [:], as: LogChunk.self)
    }

    /// `POST /v1/stacks/{name}/start`: desired `launched`.
    public func start(stack: String) async throws -> StackChange {
        try await send("POST", "/v1/stacks/\(Self.segment(stack))/start", as: StackChange.self)
    }

    /// `POST /v1/stacks/{name}/stop`: desired `loaded` (placed, not running).
    public func stop(stack: String) async throws -> StackChange {
        try await send("POST", "/v1/stacks/\(Self.segment(stack))/stop", as: StackChange.self)
    }

    /// `POST /v1/stacks/{name}/unload`: desired `inactive` (stored, not placed).
    public func unload(stack: String) async throws -> StackChange {
        try await send("POST", "/v1/stacks/\(Self.segment(stack))/unload", as: StackChange.self)
    }

    /// `DELETE /v1/stacks/{name}`.
    public func destroy(stack: String) async throws -> StackChange {
        try await send("DELETE", "/v1/stacks/\(Self.segment(stack))", as: StackChange.self)
    }

    /// `GET /v1/events?after=KEY&limit=N`: events after `after` (a key from an earlier page).
    public func events(after: String? = nil, limit: Int = 100) async throws -> EventsPage {
        var query = [URLQueryItem(name: "limit", value: String(limit))]
        if let after { query.append(URLQueryItem(name: "after", value: after)) }
        return try await send("GET", "/v1/events", query: query, as: EventsPage.self)
    }

    /// `GET /v1/events?after=KEY&limit=N&wait=SECONDS`: as ``events(after:limit:)``, but when
    /// nothing follows `after` yet the API answers as soon as an event is written (a store
    /// watch), or after `wait` seconds with none. What `events -f` repeats.
    public func events(after: String?, limit: Int = 100, wait: Double) async throws -> EventsPage {
        var query = [URLQueryItem(name: "limit", value: String(limit)),
                     URLQueryItem(name: "wait", value: String(max(0, min(wait, timeout - 5))))]
        if let after { query.append(URLQueryItem(name: "after", value: after)) }
        return try await send("GET", "/v1/events", query: query, as: EventsPage.self)
    }

    /// `GET /v1/events?last=N`: the newest `last` events, oldest first.
    public func events(last: Int) async throws -> EventsPage {
        try await send("GET", "/v1/events", query: [URLQueryItem(name: "last", value: String(last))], as: EventsPage.self)
    }

    /// `GET /v1/units/{stack}`: the stored stack (for a fleet unit, its file text).
    public func stack(_ name: String) async throws -> StackReport {
        try await send("GET", "/v1/units/\(Self.segment(name))", as: StackReport.self)
    }

    static let forwardHeaders = ["X-Flotilla-Forwarded": "1"]

    static func logsPath(_ instance: String, _ unit: String) -> String {
        "/v1/logs/\(segment(instance))/\(segment(unit))"
    }
}
