import FlotillaModel
import FlotillaStore

extension APIRoutes {
    /// `GET /v1/logs/{instance}/{unit}?last=N`, `?offset=O` or `?offset=O&wait=S`: the unit's
    /// journal, read here when this machine runs the instance, else fetched from the agent
    /// that does. With `wait` (seconds, at most ``maxLogWait``), a long-poll for `logs -f`:
    /// when no complete line follows `offset` yet, the answer waits until one is written
    /// (the journal file's inotify wakeup) or the time is up.
    func logs(instance: String, unit: String, query: [String: String], forwarded: Bool) async throws -> LogChunk {
        let request = try LogRequest(query)
        let assignment = try await findAssignment(instance)
        guard let assignment else {
            throw APIError.notFound("\(instance) is not assigned to any machine, so no agent keeps its journal; flotilla status shows why")
        }
        guard assignment.units.contains(where: { $0.name == unit }) else {
            let names = assignment.units.map(\.name)
            throw APIError.notFound("\(instance) has no unit '\(unit)'\(Suggestion.hint(for: unit, among: names)) (its units: \(names.joined(separator: ", ")))")
        }
        if assignment.machine == machineID {
            var chunk: LogChunk
            switch request {
            case .last(let count): chunk = try await logs.lines(instance: instance, unit: unit, last: count)
            case .offset(let offset, nil): chunk = try await logs.read(instance: instance, unit: unit, from: offset)
            case .offset(let offset, let wait?):
                chunk = try await logs.follow(instance: instance, unit: unit, from: offset, waitingUpTo: wait)
            }
            chunk.machine = machineID
            return chunk
        }
        guard !forwarded else {
            throw APIError(.conflict, "\(instance) moved to machine \(assignment.machine) while its logs were being fetched; ask again")
        }
        let key = layout.machine(assignment.machine)
        guard let kv = try await store.range(RangeRequest(key: Bytes(utf8: key))).kvs.first else {
            throw APIError(.serviceUnavailable, "machine \(assignment.machine), which runs \(instance), is down (its lease expired); its journal stays on that machine until its agent is back")
        }
        let owner = try RecordCodec.decode(MachineRecord.self, from: kv.value, key: key)
        do {
            let client = try APIClient(endpoint: owner.apiURL, credentials: .machine(security.certificates))
            switch request {
            case .last(let count): return try await client.logs(instance: instance, unit: unit, last: count, forwarded: true)
            case .offset(let offset, let wait):
                return try await client.logs(instance: instance, unit: unit, offset: offset, wait: wait.map(Self.seconds),
                                             forwarded: true)
            }
        } catch let error as APIClientError {
            if case .rejected(let status, let message, _, _) = error { throw APIError(.init(code: status), message) }
            throw APIError(.badGateway, "cannot read \(instance)/\(unit)'s journal from machine \(assignment.machine) at \(owner.apiURL): \(error.detail); check that its agent is running and reachable from this one")
        }
    }

    /// The assignment of `instance`, on whichever machine.
    private func findAssignment(_ instance: String) async throws -> Assignment? {
        let response = try await store.range(.prefix(Bytes(utf8: layout.assignments)))
        for kv in response.kvs where kv.key.utf8String.hasSuffix("/" + instance) {
            let assignment = try RecordCodec.decode(Assignment.self, from: kv.value, key: kv.key.utf8String)
            if assignment.instance == instance { return assignment }
        }
        return nil
    }
}

extension APIRoutes {
    /// Longest a logs long-poll holds the request (the client's own timeout is longer).
    static let maxLogWait: Duration = .seconds(25)

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

/// `?last=N` (default 100), `?offset=O`, or `?offset=O&wait=S` (wait for lines up to S seconds).
enum LogRequest {
    case last(Int)
    case offset(Int64, wait: Duration?)

    init(_ query: [String: String]) throws {
        var wait: Duration?
        if let text = query["wait"] {
            guard query["offset"] != nil else { throw APIError.badRequest("wait=S follows from an offset; give offset=O too (a previous answer's nextOffset)") }
            guard let seconds = Double(text), seconds >= 0 else {
                throw APIError.badRequest("wait must be a number of seconds (0 or more), got '\(text)'")
            }
            wait = min(APIRoutes.maxLogWait, .milliseconds(Int64(min(seconds, 3600) * 1000)))
        }
        switch (query["last"], query["offset"]) {
        case (.some, .some):
            throw APIError.badRequest("give either last=N or offset=O, not both")
        case (.some(let text), nil):
            guard let count = Int(text), count >= 0, count <= 100_000 else {
                throw APIError.badRequest("last must be a number of lines from 0 to 100000, got '\(text)'")
            }
            self = .last(count)
        case (nil, .some(let text)):
            guard let offset = Int64(text), offset >= 0 else {
                throw APIError.badRequest("offset must be a byte offset (0 or more) from a previous answer's nextOffset, got '\(text)'")
            }
            self = .offset(offset, wait: wait)
        case (nil, nil):
            self = .last(100)
        }
    }
}
