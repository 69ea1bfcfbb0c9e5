import FlotillaEtcd
import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import Testing

/// 10,000 watchers over gRPC — all in one Watch stream, or 25 each in 400 streams over 4
/// connections — get their events, then are cancelled and dropped with their connections; the
/// server forgets every one of them and its memory stays bounded.
@Suite("store with 10,000 watchers", .serialized)
struct StoreManyWatchersTests {
    static let watchers = 10_000

    @Test func tenThousandWatchersComeAndGo() async throws {
        try await withSQLiteEtcdServer { client, port, store in
            var revision = try await expectServes(client, port: port, since: 1, after: "start")
            let baseline = store.activeWatchCount
            var figures = ["RSS at start \(Self.mib(residentMiB()))"]
            // One pass of each shape: the second shape runs on a server that has just forgotten
            // 10,000 watches, so state left behind by the first would show in its counts.
            figures.append(try await Self.oneStream(client, port: port, store: store, baseline: baseline))
            revision = try await expectServes(client, port: port, since: revision + 1, after: "10,000 watches in one stream")
            figures.append(try await Self.manyStreams(client, port: port, store: store, baseline: baseline))
            _ = try await expectServes(client, port: port, since: revision + 1, after: "400 watch streams")
            let end = residentMiB()
            figures.append("RSS at end \(Self.mib(end))")
            print("10,000 watchers (test process, server in-process): " + figures.joined(separator: "; "))
            #expect(end < 500, "RSS \(Self.mib(end)) after the watchers were dropped")
        }
    }

    /// 10,000 watches of "hot" in ONE stream; one put reaches all; half are cancelled by
    /// request, the rest dropped with the connection.
    static func oneStream(_ client: EtcdStore, port: Int, store: SQLiteStore, baseline: Int) async throws -> String {
        let tally = WatchTally()
        let connection = try DroppableClient(port: port)
        let (commands, send) = AsyncStream<[Etcdserverpb_WatchRequest]>.makeStream()
        let call = Task {
            try? await Etcdserverpb_Watch.Client(wrapping: connection.client).watch(requestProducer: { writer in
                for await batch in commands { try await writer.write(contentsOf: batch) }
            }, onResponse: { response in
                for try await message in response.messages { tally.note(message) }
            })
        }
        send.yield((0..<watchers).map { _ in create("hot") })
        #expect(await eventually(timeout: .seconds(120)) { tally.counts.created == watchers }, "created \(tally.counts.created)")
        #expect(store.activeWatchCount == baseline + watchers)
        let peak = residentMiB()
        _ = try await client.put(PutRequest(key: Bytes(utf8: "hot"), value: Bytes(utf8: "1")))
        #expect(await eventually(timeout: .seconds(60)) { tally.counts.events == watchers }, "events \(tally.counts.events)")
        send.yield((0..<Int64(watchers / 2)).map { id in Etcdserverpb_WatchRequest.with { $0.cancelRequest.watchID = id } })
        #expect(await eventually(timeout: .seconds(60)) { tally.counts.canceled == watchers / 2 }, "canceled \(tally.counts.canceled)")
        #expect(store.activeWatchCount == baseline + watchers / 2)
        await connection.drop()
        let forgotten = await eventually { store.activeWatchCount == baseline }
        #expect(forgotten, "\(store.activeWatchCount - baseline) watches left after the connection dropped")
        send.finish()
        call.cancel()
        await call.value
        return "one stream: RSS \(mib(peak)) with 10,000 watches, \(mib(residentMiB())) after the drop"
    }

    /// 400 streams of 25 watches each over 4 connections; one put reaches all; dropped with
    /// their connections.
    static func manyStreams(_ client: EtcdStore, port: Int, store: SQLiteStore, baseline: Int) async throws -> String {
        let tally = WatchTally()
        let connections = try (0..<4).map { _ in try DroppableClient(port: port) }
        let streams = 400, perStream = watchers / 400
        let calls = (0..<streams).map { index in
            Task {
                try? await Etcdserverpb_Watch.Client(wrapping: connections[index % connections.count].client).watch(requestProducer: { writer in
                    try await writer.write(contentsOf: (0..<perStream).map { _ in create("hot") })
                    try await Task.sleep(for: .seconds(600))
                }, onResponse: { response in
                    for try await message in response.messages { tally.note(message) }
                })
            }
        }
        #expect(await eventually(timeout: .seconds(120)) { tally.counts.created == watchers }, "created \(tally.counts.created)")
        #expect(store.activeWatchCount == baseline + watchers)
        let peak = residentMiB()
        _ = try await client.put(PutRequest(key: Bytes(utf8: "hot"), value: Bytes(utf8: "2")))
        #expect(await eventually(timeout: .seconds(60)) { tally.counts.events == watchers }, "events \(tally.counts.events)")
        for connection in connections { await connection.drop() }
        let forgotten = await eventually { store.activeWatchCount == baseline }
        #expect(forgotten, "\(store.activeWatchCount - baseline) watches left after the connections dropped")
        for call in calls { call.cancel() }
        for call in calls { await call.value }
        return "400 streams: RSS \(mib(peak)) with 10,000 watches, \(mib(residentMiB())) after the drop"
    }

    static func create(_ key: String) -> Etcdserverpb_WatchRequest {
        Etcdserverpb_WatchRequest.with { $0.createRequest.key = Data(key.utf8) }
    }

    static func mib(_ value: Double) -> String { String(format: "%.0f MiB", value) }
}

/// What watch streams received, counted across streams.
final class WatchTally: Sendable {
    struct Counts { var created = 0, canceled = 0, events = 0 }
    private let state = Mutex(Counts())

    var counts: Counts { state.withLock { $0 } }

    func note(_ response: Etcdserverpb_WatchResponse) {
        state.withLock { counts in
            if response.created { counts.created += 1 }
            if response.canceled && !response.created { counts.canceled += 1 }
            counts.events += response.events.count
        }
    }
}

/// A gRPC client on its own connection task; ``drop()`` cancels that task, which closes the
/// connection under every open call (no graceful goodbye).
struct DroppableClient: Sendable {
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    let task: Task<Void, Never>

    init(port: Int) throws {
        let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        let client = GRPCClient(transport: transport)
        self.client = client
        task = Task { try? await client.runConnections() }
    }

    func drop() async {
        task.cancel()
        await task.value
    }
}
