import FlotillaEtcd
import FlotillaStore
import Foundation
import NIOCore
import NIOHPACK
import Testing

/// The embedded store's gRPC server under bad input: oversize requests are refused whole with
/// etcd's text, and garbage on the port never takes the server down or writes anything.
@Suite("store bad input", .serialized)
struct StoreBadInputTests {
    @Test func oversizeRequestsAreRefusedWhole() async throws {
        try await withSQLiteEtcdServer { client, port, _ in
            var revision = try await expectServes(client, port: port, since: 1, after: "start")
            let big = Bytes(repeating: 0x61, count: 1_600_000)
            await #expect(throws: StoreError.requestTooLarge) {
                try await client.put(PutRequest(key: Bytes(utf8: "big/put"), value: big))
            }
            let half = Bytes(repeating: 0x62, count: 800_000)
            await #expect(throws: StoreError.requestTooLarge) {
                try await client.txn(TxnRequest(success: [.put(PutRequest(key: Bytes(utf8: "big/a"), value: half)),
                                                          .put(PutRequest(key: Bytes(utf8: "big/b"), value: half))]))
            }
            let many = (0..<100).map { RequestOp.put(PutRequest(key: Bytes(utf8: "big/many/\($0)"), value: Bytes(repeating: 0x63, count: 16_384))) }
            await #expect(throws: StoreError.requestTooLarge) { try await client.txn(TxnRequest(success: many)) }
            // Over etcd's 2 MiB client send limit: refused before it is sent, as clientv3 does.
            // (Raw oversize messages that skip this check are in the garbage test.)
            do {
                _ = try await client.put(PutRequest(key: Bytes(utf8: "big/huge"), value: Bytes(repeating: 0x64, count: 3 << 20)))
                Issue.record("a 3 MiB put was accepted")
            } catch let error as StoreError {
                #expect(error.code == .resourceExhausted && error.message.hasPrefix("grpc: trying to send message larger than max ("),
                        "\(error.code): \(error.message)")
            }
            let empty = try await client.range(RangeRequest.prefix(Bytes(utf8: "big/")))
            #expect(empty.kvs.isEmpty)
            revision = try await expectServes(client, port: port, since: revision, after: "oversize requests")
            // Just under the limit is fine.
            let fits = Bytes(repeating: 0x65, count: StoreLimits.maxRequestBytes - 1_024)
            let put = try await client.put(PutRequest(key: Bytes(utf8: "big/fits"), value: fits))
            #expect(put.header.revision == revision + 1)
            #expect(try await client.range(RangeRequest(key: Bytes(utf8: "big/fits"))).kvs.first?.value.count == fits.count)
        }
    }

    @Test("a message over the gRPC receive limit gets RESOURCE_EXHAUSTED, not a reset, and nothing is written")
    func oversizeMessageGetsResourceExhausted() async throws {
        try await withSQLiteEtcdServer { client, port, _ in
            let revision = try await expectServes(client, port: port, since: 1, after: "start")
            let connection = try RawConnection(port: port)
            defer { connection.close() }
            // A Put announcing a 3 MiB message (etcd's limit is 1.5 MiB + 512 KiB), its first frame (16 KiB) sent.
            connection.send(RawFrames.opening + RawFrames.call("/etcdserverpb.KV/Put", stream: 1, port: port)
                            + RawFrames.frame(type: 0, flags: 0, stream: 1, payload: RawFrames.grpcPrefix(3 << 20) + [UInt8](repeating: 0x61, count: 16_379)))
            var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
            let status = connection.trailers(of: 1, decoder: &decoder, timeout: .seconds(10))
            #expect(status?.first(name: "grpc-status") == "8"
                    && status?.first(name: "grpc-message") == "grpc: received message larger than max (3145728 vs. 2097152)",
                    "RESOURCE_EXHAUSTED, as etcd answers: \(String(describing: status))")
            try await expectServes(client, port: port, since: revision, after: "an oversize message")
        }
    }

    /// Byte strings that are not gRPC, or are broken HTTP/2, or broken gRPC inside good HTTP/2.
    static func garbage(port: Int) throws -> [(String, [UInt8])] {
        var random = SystemRandomNumberGenerator()
        let noise = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &random) }
        let put = Etcdserverpb_PutRequest.with { $0.key = Data("garbage/put".utf8); $0.value = Data("x".utf8) }
        let putBody: [UInt8] = try put.serializedBytes()
        let call = RawFrames.opening + RawFrames.call("/etcdserverpb.KV/Put", stream: 1, port: port)
        return [
            ("random bytes", noise),
            ("an HTTP/1.1 GET", Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)),
            ("an HTTP/1.1 POST of a gRPC body", Array("POST /etcdserverpb.KV/Put HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc\r\nContent-Length: \(putBody.count + 5)\r\n\r\n".utf8) + RawFrames.grpcPrefix(putBody.count) + putBody),
            ("a truncated preface", Array(RawFrames.preface.prefix(10))),
            ("a preface, then random bytes", RawFrames.opening + noise),
            ("a frame longer than the max frame size", RawFrames.opening + [0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0] + noise),
            ("DATA on stream 0", RawFrames.opening + RawFrames.frame(type: 0, flags: 0, stream: 0, payload: noise.prefix(100).map { $0 })),
            ("HEADERS with a broken HPACK block", RawFrames.opening + RawFrames.frame(type: 1, flags: 0x5, stream: 1, payload: [0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])),
            ("a zero WINDOW_UPDATE", RawFrames.opening + RawFrames.frame(type: 8, flags: 0, stream: 0, payload: [0, 0, 0, 0])),
            ("SETTINGS with an oversize window", RawFrames.preface + RawFrames.frame(type: 4, flags: 0, stream: 0, payload: [0, 4, 0xff, 0xff, 0xff, 0xff])),
            ("1,000 PINGs", RawFrames.opening + (0..<1_000).flatMap { _ in RawFrames.frame(type: 6, flags: 0, stream: 0, payload: [UInt8](repeating: 1, count: 8)) }),
            ("a Put whose message claims 1 GiB", call + RawFrames.frame(type: 0, flags: 0, stream: 1, payload: RawFrames.grpcPrefix(1 << 30) + noise.prefix(1000))),
            ("a Put whose message is not protobuf", call + RawFrames.frame(type: 0, flags: 1, stream: 1, payload: RawFrames.grpcPrefix(200) + [UInt8](repeating: 0xff, count: 200))),
            ("a Put with a truncated message", call + RawFrames.frame(type: 0, flags: 1, stream: 1, payload: RawFrames.grpcPrefix(putBody.count) + putBody.dropLast(3))),
            ("a compressed Put without an encoding", call + RawFrames.frame(type: 0, flags: 1, stream: 1, payload: [1] + RawFrames.grpcPrefix(putBody.count).dropFirst() + putBody)),
            ("a Put on an unknown method", RawFrames.opening + RawFrames.call("/etcdserverpb.KV/Nope", stream: 1, port: port) + RawFrames.frame(type: 0, flags: 1, stream: 1, payload: RawFrames.grpcPrefix(putBody.count) + putBody)),
        ]
    }

    @Test func garbageOnTheGRPCPortLeavesTheServerRunning() async throws {
        try await withSQLiteEtcdServer { client, port, _ in
            var revision = try await expectServes(client, port: port, since: 1, after: "start")
            for (label, bytes) in try Self.garbage(port: port) {
                for ending in ["close", "reset"] {
                    let connection = try RawConnection(port: port)
                    connection.send(bytes)
                    let (closed, received) = connection.drain(timeout: .milliseconds(500))
                    if ending == "close" { connection.close() } else { connection.abort() }
                    if ending == "close" { print("garbage: \(label): server \(closed ? "closed the connection" : "kept it open"), sent \(received) bytes") }
                    revision = try await expectServes(client, port: port, since: revision, after: "\(label), then \(ending)")
                }
            }
            // Everything at once, on 40 connections in parallel.
            let all = try Self.garbage(port: port)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let connection = try RawConnection(port: port)
                        connection.send(all[index % all.count].1)
                        _ = connection.drain(timeout: .milliseconds(200))
                        if index % 2 == 0 { connection.abort() } else { connection.close() }
                    }
                }
                try await group.waitForAll()
            }
            try await expectServes(client, port: port, since: revision, after: "40 garbage connections at once")
        }
    }
}
