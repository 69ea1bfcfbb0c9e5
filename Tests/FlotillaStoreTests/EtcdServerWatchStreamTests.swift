import Foundation
import FlotillaEtcd
import FlotillaStore
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

/// The Watch stream protocol on the wire: per-stream IDs from 0, client-chosen IDs, duplicate
/// IDs, progress (watch ID -1), cancel.
@Suite struct EtcdServerWatchStreamTests {
    @Test func multiplexedWatchStream() async throws {
        try await withEtcdServer { client, port, _ in
            let messages = try await withGRPCClient(transport: .http2NIOPosix(
                target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)) { grpc in
                try await Etcdserverpb_Watch.Client(wrapping: grpc).watch(requestProducer: { writer in
                    func create(_ key: String, id: Int64 = 0) -> Etcdserverpb_WatchRequest {
                        var r = Etcdserverpb_WatchRequest()
                        r.createRequest.key = Data(key.utf8); r.createRequest.watchID = id
                        return r
                    }
                    try await writer.write(create("a"))
                    try await writer.write(create("b"))
                    try await writer.write(create("c", id: 7))
                    try await writer.write(create("d", id: 7))
                    try await Task.sleep(for: .milliseconds(300))
                    _ = try await client.put(PutRequest(key: Bytes(utf8: "b"), value: Bytes(utf8: "x")))
                    try await Task.sleep(for: .milliseconds(300))
                    var progress = Etcdserverpb_WatchRequest(); progress.progressRequest = .init()
                    try await writer.write(progress)
                    var cancel = Etcdserverpb_WatchRequest(); cancel.cancelRequest.watchID = 7
                    try await writer.write(cancel)
                    try await Task.sleep(for: .milliseconds(300))
                }, onResponse: { response in
                    try await response.messages.reduce(into: [Etcdserverpb_WatchResponse]()) { $0.append($1) }
                })
            }
            let created = messages.filter { $0.created && !$0.canceled }.map(\.watchID)
            #expect(created == [0, 1, 7])
            let duplicate = messages.first { $0.created && $0.canceled }
            #expect(duplicate?.watchID == -1 && duplicate?.cancelReason == "mvcc: duplicate watch ID provided on the WatchStream")
            let event = messages.first { !$0.events.isEmpty }
            #expect(event?.watchID == 1 && event?.events.first?.kv.key == Data("b".utf8) && event?.header.revision == 2)
            #expect(messages.contains { $0.watchID == -1 && !$0.created && $0.header.revision == 2 })
            #expect(messages.contains { $0.watchID == 7 && $0.canceled && !$0.created })
            #expect(messages.allSatisfy { $0.header.clusterID != 0 && $0.header.memberID != 0 })
        }
    }
}
