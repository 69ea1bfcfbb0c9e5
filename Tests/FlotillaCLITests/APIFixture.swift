import FlotillaAPI
import FlotillaModel
import FlotillaStore
import FlotillaTesting
import Foundation
import Synchronization

/// An in-process API server over an in-memory store, for running the real `flotilla` binary
/// against it with `--endpoint`; the test plays controller and agents by writing records.
struct APIFixture: Sendable {
    let store: InMemoryStore
    let layout = StoreLayout()
    let endpoint: String
    let journal: String
    let directory: String
    /// The CA, the admin token, and the CLI's environment to use them.
    let credentials: TestCredentials

    /// Runs `body` with a server of machine `m1` (journals in a temp directory); stops the
    /// server and removes the directory afterwards, also when `body` throws.
    static func with<T: Sendable>(_ body: @Sendable (APIFixture) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-cli-api-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/journal", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = InMemoryStore()
        let credentials = try await TestCredentials.make(store: store, directory: directory + "/tls")
        let server = APIServer(store: store, layout: StoreLayout(), machineID: "m1",
                               logs: JournalLogSource(directory: directory + "/journal"), security: credentials.security(),
                               host: "127.0.0.1", port: 0)
        let (ports, sink) = AsyncStream<Int>.makeStream()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await server.run { sink.yield($0) }
                return nil
            }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw FixtureFailure("the API server reported no port") }
            let fixture = APIFixture(store: store, endpoint: "https://127.0.0.1:\(port)", journal: directory + "/journal",
                                     directory: directory, credentials: credentials)
            try await fixture.put(fixture.layout.machine("m1"), MachineRecord(
                id: "m1", hostname: "host-m1", apiURL: fixture.endpoint, metadata: ["disk": "ssd"],
                capacity: Resources(cpu: 2000, memory: 2 << 30), startedAt: 0, version: "test"))
            return try await body(fixture)
        }
    }

    /// Writes a spec file into the fixture directory; returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Writes a record.
    @discardableResult
    func put(_ key: String, _ record: some Encodable) async throws -> Int64 {
        try await store.put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(record))).header.revision
    }

    /// Waits until the command stored the stack; returns it and its spec revision.
    func waitForStack(_ stack: String) async throws -> (StackRecord, Int64) {
        let key = layout.stack(stack)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let kv = try await store.range(RangeRequest(key: Bytes(utf8: key))).kvs.first {
                return (try RecordCodec.decode(StackRecord.self, from: kv.value, key: key), kv.modRevision)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureFailure("the command never stored stack \(stack)")
    }

    /// Waits until the stack is stored, then assigns `instance` to m1 as the controller
    /// would: the assignment and the stack's decision record in one transaction; returns the
    /// fencing token.
    func assignWhenApplied(_ instance: String, stack: String) async throws -> Int64 {
        let (record, revision) = try await waitForStack(stack)
        let assignment = Assignment(instance: instance, stack: stack, machine: "m1", units: record.spec.units,
                                    specRevision: revision, fencingToken: 0, desired: record.desired)
        let decision = DecisionRecord(stack: stack, specRevision: revision, placed: [instance: "m1"])
        return try await store.txn(TxnRequest(success: [
            .put(PutRequest(key: Bytes(utf8: layout.assignment(machine: "m1", instance: instance)), value: RecordCodec.encode(assignment))),
            .put(PutRequest(key: Bytes(utf8: layout.decision(stack)), value: RecordCodec.encode(decision))),
        ])).header.revision
    }

    /// Waits until the stack is stored, then publishes, as the controller would, that
    /// `instance` is unplaced with `explanation` (other instances in `placed`).
    func decideUnplaced(_ instance: String, stack: String, explanation: String, placed: [String: String] = [:]) async throws {
        let (_, revision) = try await waitForStack(stack)
        try await put(layout.decision(stack), DecisionRecord(
            stack: stack, specRevision: revision, placed: placed,
            unplaced: [instance: UnplacedInstance(machinesTotal: 1, reasons: [], explanation: explanation,
                                                  since: Date().timeIntervalSince1970)]))
    }

    /// Writes a unit status of `instance/unit` on m1.
    func status(_ instance: String, _ unit: String, _ state: UnitState, token: Int64, exitCode: Int32? = nil,
                restarts: Int = 0, lastError: String? = nil) async throws {
        try await put(layout.status(instance: instance, unit: unit), UnitStatus(
            instance: instance, unit: unit, machine: "m1", state: state, exitCode: exitCode, restarts: restarts,
            lastError: lastError, since: Date().timeIntervalSince1970, fencingToken: token))
    }

    /// Runs `flotilla ARGS --endpoint <this server>` and waits for it to exit.
    func run(_ arguments: [String]) async throws -> CommandResult {
        try await BinaryRun.run(arguments + ["--endpoint", endpoint], environment: credentials.environment)
    }
}

struct FixtureFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The `flotilla` binary run without blocking the caller's thread: output goes to files,
/// and the process is killed when the awaiting task is cancelled.
enum BinaryRun {
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-run-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = Process()
        process.executableURL = FlotillaBinary.url
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        let box = ProcessBox(process)
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
                do { try process.run() } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            box.kill()
        }
        return CommandResult(status: status,
                             stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }
}

/// A process that a cancellation handler may kill.
private final class ProcessBox: @unchecked Sendable {
    private let process: Process
    private let lock = Mutex(())

    init(_ process: Process) { self.process = process }

    func kill() {
        lock.withLock { _ in if process.isRunning { process.terminate() } }
    }
}
