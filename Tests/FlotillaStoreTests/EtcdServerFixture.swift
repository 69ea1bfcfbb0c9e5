import Foundation
import FlotillaEtcd
import FlotillaStore
import FlotillaTesting

/// An ``EtcdServer`` over a fresh ``InMemoryStore`` on 127.0.0.1 (free port) plus an
/// ``EtcdStore`` client talking to it; `body` runs, then both are stopped.
func withEtcdServer<T>(clock: ManualLeaseClock? = nil,
                       _ body: (_ client: EtcdStore, _ port: Int, _ backing: InMemoryStore) async throws -> T) async throws -> T {
    let backing = clock.map { InMemoryStore(clock: $0, seed: 1) } ?? InMemoryStore()
    let server = EtcdServer(store: backing, configuration: .init(port: 0, name: "test-node"))
    let port = try await server.start()
    let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(port)"])
    do {
        let result = try await body(client, port, backing)
        await client.close()
        await server.stop()
        return result
    } catch {
        await client.close()
        await server.stop()
        throw error
    }
}

/// The conformance harness over gRPC: each store is an ``EtcdStore`` talking to its own
/// ``EtcdServer`` over an ``InMemoryStore`` on the harness's manual clock.
final class EtcdOverGRPCHarness: StoreHarness, @unchecked Sendable {
    private let inner = InMemoryStoreHarness()
    private let lock = NSLock()
    private var started: [(EtcdServer, EtcdStore)] = []

    func makeStore() async throws -> any KeyValueStore {
        let server = EtcdServer(store: try await inner.makeStore(), configuration: .init(port: 0))
        let port = try await server.start()
        let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(port)"])
        lock.withLock { started.append((server, client)) }
        return client
    }

    func advance(seconds: Int64) async throws { try await inner.advance(seconds: seconds) }

    var supportsManualTime: Bool { true }

    /// Stops every client and server this harness started.
    func shutdown() async {
        let all = lock.withLock { defer { started = [] }; return started }
        for (server, client) in all {
            await client.close()
            await server.stop()
        }
    }
}
