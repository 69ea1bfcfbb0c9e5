import FlotillaAPI
import FlotillaModel
import FlotillaStore
import Foundation
import Testing

/// Runs an ``APIServer`` for `machineID` over `store` on 127.0.0.1 (a free port) while `body`
/// runs, and stops it afterwards, also when `body` throws.
func withAPIServer<T: Sendable>(store: any KeyValueStore, machineID: String = "m1", journal: String = "/nonexistent",
                                _ body: @Sendable (APIClient, Int) async throws -> T) async throws -> T {
    let server = APIServer(store: store, layout: StoreLayout(), machineID: machineID,
                           logs: JournalLogSource(directory: journal), host: "127.0.0.1", port: 0)
    let (ports, portSink) = AsyncStream<Int>.makeStream()
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await server.run { port in portSink.yield(port) }
            return nil
        }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw TestFailure("the API server did not report a port") }
        let client = try APIClient(endpoint: "http://127.0.0.1:\(port)", timeout: 20)
        return try await body(client, port)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

let layout = StoreLayout()

/// Writes `record` at `key` (as agents and the controller do); returns the revision.
@discardableResult
func put(_ store: any KeyValueStore, _ key: String, _ record: some Encodable) async throws -> Int64 {
    try await store.put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(record))).header.revision
}

/// The current store revision.
func revision(_ store: any KeyValueStore) async throws -> Int64 {
    try await store.range(RangeRequest(key: Bytes(utf8: "/"))).header.revision
}

/// A machine record of `id` whose API is at `apiURL`.
func machine(_ id: String, memory: Int64 = 4 << 30, apiURL: String = "http://127.0.0.1:1", metadata: Metadata = [:]) -> MachineRecord {
    MachineRecord(id: id, hostname: "host-\(id)", apiURL: apiURL, metadata: metadata,
                  capacity: Resources(cpu: 2000, memory: memory), startedAt: 0, version: "test")
}

/// Registers machines.
func register(_ store: any KeyValueStore, _ records: [MachineRecord]) async throws {
    for record in records { try await put(store, layout.machine(record.id), record) }
}

/// Assigns `instance` of the stored stack `stack` to `machineID` as the controller would;
/// returns the fencing token (the key's mod revision).
@discardableResult
func assign(_ store: any KeyValueStore, _ instance: String, stack: String, to machineID: String) async throws -> Int64 {
    let key = layout.stack(stack)
    guard let kv = try await store.range(RangeRequest(key: Bytes(utf8: key))).kvs.first else { throw TestFailure("no stack \(stack)") }
    let record = try RecordCodec.decode(StackRecord.self, from: kv.value, key: key)
    let assignment = Assignment(instance: instance, stack: stack, machine: machineID, units: record.spec.units,
                                specRevision: kv.modRevision, fencingToken: 0, desired: record.desired)
    return try await put(store, layout.assignment(machine: machineID, instance: instance), assignment)
}

/// A unit status as the agent would write it.
func unitStatus(_ instance: String, _ unit: String, on machineID: String, _ state: UnitState, token: Int64,
                restarts: Int = 0, exitCode: Int32? = nil, health: HealthState? = nil, lastError: String? = nil) -> UnitStatus {
    UnitStatus(instance: instance, unit: unit, machine: machineID, state: state, exitCode: exitCode, restarts: restarts,
               health: health, lastError: lastError, since: Date().timeIntervalSince1970, fencingToken: token)
}

/// A YAML stack file with one stack of `count` instances, one unit asking for `memory`.
func stackFile(_ name: String, count: Int = 2, memory: String = "64Mi", unit: String = "main") -> String {
    """
    stacks:
      \(name):
        count: \(count)
        units:
          \(unit):
            exec: [/bin/sleep, "1000"]
            resources: { cpu: 100m, memory: \(memory) }
    """
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-api-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The rejection inside `error`, or a test failure.
func rejection(_ error: any Error) -> (status: Int, message: String, diagnostics: [Diagnostic]) {
    guard case .rejected(let status, let message, let diagnostics, _)? = error as? APIClientError else {
        Issue.record("expected an API rejection, got \(error)")
        return (0, "", [])
    }
    return (status, message, diagnostics)
}
