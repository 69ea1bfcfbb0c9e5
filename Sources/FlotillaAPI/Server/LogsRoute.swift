import FlotillaModel
import FlotillaStore

extension APIRoutes {
    /// `GET /v1/logs/{instance}/{unit}?last=N` or `?offset=O`: the unit's journal, read here
    /// when this machine runs the instance, else fetched from the agent that does.
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
            case .offset(let offset): chunk = try await logs.read(instance: instance, unit: unit, from: offset)
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
            let client = try APIClient(endpoint: owner.apiURL)
            switch request {
            case .last(let count): return try await client.logs(instance: instance, unit: unit, last: count, forwarded: true)
            case .offset(let offset): return try await client.logs(instance: instance, unit: unit, offset: offset, forwarded: true)
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

/// `?last=N` (default 100) or `?offset=O`.
enum LogRequest {
    case last(Int)
    case offset(Int64)

    init(_ query: [String: String]) throws {
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
            self = .offset(offset)
        case (nil, nil):
            self = .last(100)
        }
    }
}
