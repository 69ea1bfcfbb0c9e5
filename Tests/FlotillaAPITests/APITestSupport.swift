import Crypto
import FlotillaAPI
import FlotillaModel
import FlotillaSecurity
import FlotillaStore
import FlotillaTesting
import Foundation
import Testing
import X509

/// Runs an ``APIServer`` for `machineID` over `store` on 127.0.0.1 (a free port) while `body`
/// runs, and stops it afterwards, also when `body` throws.
func withAPIServer<T: Sendable>(store: any KeyValueStore, machineID: String = "m1", journal: String = "/nonexistent",
                                ca: ClusterCA? = nil, _ body: @Sendable (APIClient, Int) async throws -> T) async throws -> T {
    try await withSecuredAPIServer(store: store, machineID: machineID, journal: journal, ca: ca) { client, port, _ in try await body(client, port) }
}

/// ``withAPIServer(store:machineID:journal:_:)`` that also hands `body` the credentials (to
/// make more tokens, or clients with other ones).
func withSecuredAPIServer<T: Sendable>(store: any KeyValueStore, machineID: String = "m1", journal: String = "/nonexistent",
                                       ca: ClusterCA? = nil, failedLoginLimit: Int = 20, timeouts: APITimeouts = APITimeouts(),
                                       serverNames: [String]? = nil,
                                       _ body: @Sendable (APIClient, Int, TestCredentials) async throws -> T) async throws -> T {
    let directory = NSTemporaryDirectory() + "flotilla-api-test-\(UUID().uuidString.prefix(8))"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let credentials = try await TestCredentials.make(store: store, machineID: machineID, directory: directory, ca: ca)
    var security = credentials.security(failedLoginLimit: failedLoginLimit)
    if let serverNames {   // a server certificate naming only these DNS names (no addresses)
        let key = P256.Signing.PrivateKey()
        security.certificates.server = try security.certificates.ca.issue(
            CertificateOrder(publicKey: Certificate.PublicKey(key.publicKey), commonName: machineID, dnsNames: serverNames, usage: .server))
        security.certificates.serverKey = key
    }
    let server = { [security] in
        var server = APIServer(store: store, layout: StoreLayout(), machineID: machineID, logs: JournalLogSource(directory: journal),
                               security: security, host: "127.0.0.1", port: 0)
        server.timeouts = timeouts
        return server
    }()
    let (ports, portSink) = AsyncStream<Int>.makeStream()
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await server.run { port in portSink.yield(port) }
            return nil
        }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw TestFailure("the API server did not report a port") }
        return try await body(try credentials.client("https://127.0.0.1:\(port)"), port, credentials)
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

/// The newest mod revision of any key but the events (which the API's audit trail writes):
/// what changed the cluster.
func clusterRevision(_ store: any KeyValueStore) async throws -> Int64 {
    try await store.range(.prefix(Bytes(utf8: layout.prefix))).kvs
        .filter { !$0.key.utf8String.hasPrefix(layout.events) }.map(\.modRevision).max() ?? 0
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

/// `curl -si -X METHOD URL` trusting the test CA, with `Authorization: Bearer <token>` (the
/// admin token unless `token` is given; none when it is empty) and more `arguments`: the
/// status line, headers and body. Waits without blocking a thread: the server under test
/// answers on the same cooperative pool.
func curl(_ method: String, _ url: String, _ credentials: TestCredentials, token: String? = nil,
          arguments: [String] = []) async throws -> String {
    let bearer = token ?? credentials.admin.text
    return try await output(of: "/usr/bin/curl", ["-si", "-m", "20", "--cacert", credentials.caFile, "-X", method, url]
        + (bearer.isEmpty ? [] : ["-H", "Authorization: Bearer \(bearer)"]) + arguments)
}

/// What `tool` prints on standard output, once it has exited (its standard error is dropped).
func output(of tool: String, _ arguments: [String]) async throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in done.resume() }
        do { try process.run() } catch { done.resume(throwing: error) }
    }
    return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
}
