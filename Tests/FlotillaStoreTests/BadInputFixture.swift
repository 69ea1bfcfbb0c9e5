import FlotillaTesting
import FlotillaEtcd
import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import Testing

/// An ``EtcdServer`` over a fresh ``SQLiteStore`` on a free loopback port, with an
/// ``EtcdStore`` client; all stopped after `body`, also when it throws.
func withSQLiteEtcdServer(_ body: (_ client: EtcdStore, _ port: Int, _ store: SQLiteStore) async throws -> Void) async throws {
    try await withScratch { scratch in
        let store = try scratch.open()
        try await withEtcdServer(over: store, configuration: .init(port: 0, name: "bad-input")) { client, port, _ in
            try await body(client, port, store)
        }
    }
}

/// An ``EtcdServer`` with `configuration` (its port is picked) over `store`, with an
/// ``EtcdStore`` client; both stopped after `body`, also when it throws.
func withEtcdServer(over store: any KeyValueStore, configuration: EtcdServer.Configuration,
                    _ body: (_ client: EtcdStore, _ port: Int, _ server: EtcdServer) async throws -> Void) async throws {
    var configuration = configuration
    configuration.port = 0
    let server = EtcdServer(store: store, configuration: configuration)
    let port = try await server.start()
    let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(port)"])
    do {
        try await body(client, port, server)
    } catch {
        await client.close()
        await server.stop()
        throw error
    }
    await client.close()
    await server.stop()
}

/// Checks that the server still answers (a put and a read of it over gRPC, from a NEW
/// connection too) and that nothing was written since `revision`. Returns the put's revision.
@discardableResult
func expectServes(_ client: EtcdStore, port: Int, since revision: Int64, after label: String,
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int64 {
    let fresh = try EtcdStore.running(endpoints: ["127.0.0.1:\(port)"])
    do {
        let now = try await fresh.range(RangeRequest(key: Bytes(utf8: "alive"))).header.revision
        #expect(now == revision, "after \(label): revision moved from \(revision) to \(now) (partial state?)", sourceLocation: sourceLocation)
        let put = try await client.put(PutRequest(key: Bytes(utf8: "alive"), value: Bytes(utf8: label)))
        let read = try await fresh.range(RangeRequest(key: Bytes(utf8: "alive")))
        #expect(read.kvs.first?.value.utf8String == label && read.kvs.first?.modRevision == put.header.revision,
                "after \(label): the server did not answer correctly", sourceLocation: sourceLocation)
        await fresh.close()
        return put.header.revision
    } catch {
        await fresh.close()
        Issue.record("after \(label): the server no longer answers: \(error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// This process's resident set size in MiB (`VmRSS` of /proc/self/status).
func residentMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
    return kib / 1024
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
