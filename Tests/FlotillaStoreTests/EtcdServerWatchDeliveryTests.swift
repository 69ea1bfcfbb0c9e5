import FlotillaTesting
import Foundation
import FlotillaEtcd
import FlotillaStore
import FlotillaStoreSQLite
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import Testing

/// Periodic progress notifications (`progress_notify`) and fragmented responses (`fragment`)
/// of the Watch service, on the wire, over both stores; fragments also against a real etcd.
@Suite struct EtcdServerWatchDeliveryTests {
    @Test(arguments: ["memory", "sqlite"])
    func progressNotifyWatchesGetEmptyResponsesAtTheCurrentRevision(_ backend: String) async throws {
        try await withScratch { scratch in
            let store: any KeyValueStore = backend == "sqlite" ? try scratch.open() : InMemoryStore()
            _ = try await store.put(PutRequest(key: Bytes(utf8: "c"), value: Bytes(utf8: "1")))   // revision 2
            let responses = try await progressRun(store)
            func progress(_ id: Int64) -> [Etcdserverpb_WatchResponse] {
                responses.filter { $0.watchID == id && !$0.created && $0.events.isEmpty }
            }
            #expect(progress(0).contains { $0.header.revision == 2 }, "progress before the write")
            #expect(progress(0).last?.header.revision == 3)
            #expect(progress(0).allSatisfy { [2, 3].contains($0.header.revision) && !$0.canceled })
            #expect(progress(1).isEmpty, "a watch without progress_notify gets no progress notifications")
            #expect(!responses.contains { $0.watchID == -1 })
            for id: Int64 in [0, 2] {
                // Never behind what the watch already delivered: the revisions only go up.
                let revisions = responses.filter { $0.watchID == id && !$0.created }.map(\.header.revision)
                #expect(revisions == revisions.sorted(), "watch \(id): \(revisions)")
            }
            let replay = responses.filter { $0.watchID == 2 && !$0.created }
            #expect(replay.first?.events.first?.kv.key == Data("c".utf8), "the replayed event comes before any progress")
            #expect(progress(2).last?.header.revision == 3)
        }
    }

    @Test func fragmentSplitsAReplayUnderTheRequestLimit() async throws {
        try await withEtcdServer { client, port, _ in
            try await putLargeValues(client)
            let pieces = try await replay(port, fragment: true)
            #expect(pieces.map(\.events.count) == [7, 6, 3])
            #expect(pieces.dropLast().allSatisfy(\.fragment) && pieces.last?.fragment == false)
            for piece in pieces where piece.events.count > 1 {
                // etcd's limit: --max-request-bytes plus 512 KiB for gRPC overhead.
                #expect((try piece.serializedBytes() as [UInt8]).count < StoreLimits.maxRequestBytes + 512 * 1024)
            }
            #expect(pieces.flatMap(\.events).map(\.kv.key) == (0..<16).map { Data(key($0).utf8) })
            #expect(pieces.allSatisfy { $0.watchID == 0 && $0.header.revision == 17 })

            let whole = try await replay(port, fragment: false)
            #expect(whole.map(\.events.count) == [16] && whole[0].fragment == false)
        }
    }

    @Test(.enabled(if: onPath("etcd"), "etcd is not installed (apt-get install etcd-server)"))
    func fragmentsMatchARealEtcd() async throws {
        let etcd = try RealEtcd.start()
        let real: [[Int]]
        do {
            let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(etcd.clientPort)"])
            do {
                try await waitUntilServing(client)
                try await putLargeValues(client)
                real = [try await replay(etcd.clientPort, fragment: true).map(\.events.count),
                        try await replay(etcd.clientPort, fragment: false).map(\.events.count)]
                await client.close()
            } catch {
                await client.close()
                throw error
            }
        } catch {
            etcd.stop()
            throw error
        }
        etcd.stop()
        try await withScratch { scratch in
            let server = EtcdServer(store: try scratch.open(), configuration: .init(port: 0))
            let port = try await server.start()
            let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(port)"])
            let ours: [[Int]]
            do {
                try await putLargeValues(client)
                ours = [try await replay(port, fragment: true).map(\.events.count),
                        try await replay(port, fragment: false).map(\.events.count)]
            } catch {
                await client.close()
                await server.stop()
                throw error
            }
            await client.close()
            await server.stop()
            #expect(ours == real)
            #expect(real == [[7, 6, 3], [16]])
        }
    }

    /// Watches 0 (`a`, progress), 1 (`b`) and 2 (`c` from revision 1, progress) on a server
    /// with a 200 ms progress interval; `a` is written (revision 3) after watch 0's first
    /// progress notification.
    private func progressRun(_ store: any KeyValueStore) async throws -> [Etcdserverpb_WatchResponse] {
        let server = EtcdServer(store: store, configuration: .init(port: 0, progressNotifyInterval: .milliseconds(200)))
        let port = try await server.start()
        do {
            let responses = try await watchResponses(port, creates: [
                .with { $0.key = Data("a".utf8); $0.progressNotify = true },
                .with { $0.key = Data("b".utf8) },
                .with { $0.key = Data("c".utf8); $0.startRevision = 1; $0.progressNotify = true },
            ], during: { received in
                // Write once watch 0 has had a progress notification at revision 2.
                while !received().contains(where: { $0.watchID == 0 && !$0.created && $0.events.isEmpty }) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                _ = try await store.put(PutRequest(key: Bytes(utf8: "a"), value: Bytes(utf8: "2")))
            }, until: { all in
                // Enough once watch 0 reported progress at revision 3 twice, and watch 2 once.
                let atThree = all.filter { !$0.created && $0.events.isEmpty && $0.header.revision == 3 }
                return atThree.filter { $0.watchID == 0 }.count >= 2 && atThree.contains { $0.watchID == 2 }
            })
            await server.stop()
            return responses
        } catch {
            await server.stop()
            throw error
        }
    }

    private func key(_ i: Int) -> String { String(format: "/big/%02d", i) }

    /// 16 puts (revisions 2...17) of 100 to 500 KiB: 4.7 MiB in all.
    private func putLargeValues(_ client: any KeyValueStore) async throws {
        for i in 0..<16 {
            _ = try await client.put(PutRequest(key: Bytes(utf8: key(i)), value: Bytes(repeating: UInt8(65 + i), count: 100 * 1024 * (1 + i % 5))))
        }
    }

    /// The responses carrying events of a watch on `/big/` from revision 1.
    private func replay(_ port: Int, fragment: Bool) async throws -> [Etcdserverpb_WatchResponse] {
        let responses = try await watchResponses(port, creates: [.with {
            $0.key = Data("/big/".utf8); $0.rangeEnd = Data("/big0".utf8); $0.startRevision = 1; $0.fragment = fragment
        }], until: { all in all.reduce(0) { $0 + $1.events.count } >= 16 && all.last?.fragment == false })
        return responses.filter { !$0.events.isEmpty }
    }

    private func waitUntilServing(_ client: EtcdStore) async throws {
        for _ in 0..<100 {
            if (try? await client.range(RangeRequest(key: Bytes(utf8: "health")))) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("etcd did not start")
    }
}

/// Runs one Watch stream: sends `creates`, runs `during` (which can look at the responses so
/// far), and reads responses until `until`
/// holds for the responses so far (then the call is cancelled: etcd keeps a watch stream
/// open after the client's half-close) or 20 s pass; returns every response.
func watchResponses(_ port: Int, creates: [Etcdserverpb_WatchCreateRequest],
                    during: @escaping @Sendable (_ received: @Sendable () -> [Etcdserverpb_WatchResponse]) async throws -> Void = { _ in },
                    until: @escaping @Sendable ([Etcdserverpb_WatchResponse]) -> Bool) async throws -> [Etcdserverpb_WatchResponse] {
    let received = Mutex<[Etcdserverpb_WatchResponse]>([])
    let satisfied = Mutex(false)
    var options = CallOptions.defaults
    options.maxRequestMessageBytes = 64 << 20   // grpc-swift applies this limit to received messages too
    options.timeout = .seconds(20)
    let callOptions = options
    do {
        try await withGRPCClient(transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port),
                                                           transportSecurity: .plaintext)) { grpc in
            try await Etcdserverpb_Watch.Client(wrapping: grpc).watch(options: callOptions, requestProducer: { writer in
                for create in creates { try await writer.write(.with { $0.createRequest = create }) }
                try await during { received.withLock { $0 } }
                while !satisfied.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
            }, onResponse: { response in
                for try await message in response.messages {
                    let all = received.withLock { all in all.append(message); return all }
                    if until(all) { satisfied.withLock { $0 = true }; return }
                }
            })
        }
    } catch let error as RPCError where error.code == .deadlineExceeded {
        Issue.record("the watch responses did not meet the condition within 20 s")
    } catch where satisfied.withLock({ $0 }) {
        // Cancelling the call once satisfied may surface as an error: the responses are in.
    }
    return received.withLock { $0 }
}
