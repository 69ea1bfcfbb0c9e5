import FlotillaTesting
import FlotillaEtcd
import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import Testing

@Suite("store and server as services")
struct StoreServiceTests {
    @Test("EtcdServer.run serves until its task is cancelled, and tells its port")
    func serverRunsUntilCancelled() async throws {
        let server = EtcdServer(store: InMemoryStore(), configuration: .init(port: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            let port = try await server.listeningPort()
            #expect(server.port == port)
            let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(port)"])
            _ = try await client.put(PutRequest(key: Bytes(utf8: "k"), value: Bytes(utf8: "v")))
            #expect(try await client.range(RangeRequest(key: Bytes(utf8: "k"))).kvs.count == 1)
            await client.close()
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(server.port == nil)
    }

    @Test("EtcdServer.run throws when the port is taken, and so does listeningPort")
    func serverRunReportsBindFailure() async throws {
        let first = EtcdServer(store: InMemoryStore(), configuration: .init(port: 0))
        let port = try await first.start()
        let second = EtcdServer(store: InMemoryStore(), configuration: .init(port: port))
        await #expect(throws: StoreError.self) { try await second.run() }
        await #expect(throws: StoreError.self) { _ = try await second.listeningPort() }
        await first.stop()
    }

    @Test("EtcdServer.stop ends run")
    func stopEndsRun() async throws {
        let server = EtcdServer(store: InMemoryStore(), configuration: .init(port: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            _ = try await server.listeningPort()
            await server.stop()
            try await group.waitForAll()
        }
    }

    @Test("SQLiteStore.run ends on cancellation and closes the store; it runs once")
    func storeRunClosesOnCancellation() async throws {
        let directory = NSTemporaryDirectory() + "flotilla-service-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(directory: directory, options: .init(autoCompaction: .off))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            try await store.put("k", "v")
            // Expiry runs inside run(): a 2 s lease is revoked on time.
            let lease = try await store.leaseGrant(ttl: 2, id: 0)
            try await store.put("owned", "x", lease: lease.id)
            try await Task.sleep(for: .seconds(3))
            #expect(try await store.text("owned") == nil)
            group.cancelAll()
            try await group.waitForAll()
        }
        await #expect(throws: StoreError.self) { try await store.put("late", "no") }
        await #expect(throws: StoreError.self) { try await store.run() }
    }

    @Test("SQLiteStore.close ends run; a non-physical Compact's rows go in run")
    func closeEndsRun() async throws {
        let directory = NSTemporaryDirectory() + "flotilla-service-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(directory: directory)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            for n in 0..<10 { try await store.put("k", "\(n)") }
            _ = try await store.compact(CompactionRequest(revision: 10))
            await #expect(throws: StoreError.compacted(compactRevision: 10)) {
                try await store.range(RangeRequest(key: Bytes(utf8: "k"), revision: 5))
            }
            #expect(try await store.text("k") == "9")
            await store.close()
            try await group.waitForAll()
        }
    }
}
