import FlotillaTesting
import FlotillaStore
import NIOCore
import NIOEmbedded
import Testing
@testable import FlotillaEtcd

/// The client-side handler that answers the server's HTTP/2 PINGs (etcd sends one per request;
/// swift-nio-http2 closes the connection after 200 inbound PINGs in 30 s).
struct ServerPingAnsweringTests {
    /// One HTTP/2 frame: 9-byte header, then the payload.
    private func frame(type: UInt8, flags: UInt8, stream: UInt32 = 0, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    @Test(arguments: [1, 2, 5, 9, 17, 1000])
    func pingsAreAnsweredAndEverythingElsePassesThrough(chunk: Int) throws {
        let settings = frame(type: 4, flags: 0, payload: [0, 3, 0, 0, 0, 100])
        let ping = frame(type: 6, flags: 0, payload: [1, 2, 3, 4, 5, 6, 7, 8])
        let pingAck = frame(type: 6, flags: 1, payload: [9, 9, 9, 9, 9, 9, 9, 9])
        let data = frame(type: 0, flags: 1, stream: 1, payload: Array(repeating: 0x61, count: 300))
        let headers = frame(type: 1, flags: 4, stream: 3, payload: [0x88])
        let secondPing = frame(type: 6, flags: 0, payload: [8, 7, 6, 5, 4, 3, 2, 1])
        let input = settings + ping + data + pingAck + secondPing + headers

        let channel = EmbeddedChannel(handler: ServerPingAnswering())
        defer { _ = try? channel.finish() }
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + chunk)
            try channel.writeInbound(channel.allocator.buffer(bytes: input[offset..<end]))
            offset = end
        }

        var forwarded: [UInt8] = []
        while let buffer = try channel.readInbound(as: ByteBuffer.self) { forwarded += Array(buffer.readableBytesView) }
        #expect(forwarded == settings + data + pingAck + headers, "every frame but the server's PINGs passes through, in order")

        var answers: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { answers += Array(buffer.readableBytesView) }
        #expect(answers == frame(type: 6, flags: 1, payload: [1, 2, 3, 4, 5, 6, 7, 8])
                         + frame(type: 6, flags: 1, payload: [8, 7, 6, 5, 4, 3, 2, 1]),
                "each PING is acknowledged with its own payload")
    }
}

/// EtcdStore keeps its connection to a real etcd under sustained load (etcd's bandwidth-probe
/// PINGs used to make swift-nio-http2 drop the connection after ~200 requests).
@Suite(.enabled(if: onPath("etcd"), "etcd is not installed (apt-get install etcd-server)"))
struct EtcdStoreSustainedLoadTests {
    @Test func sixHundredSequentialRequestsOnOneConnection() async throws {
        let etcd = try RealEtcd.start()
        let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(etcd.clientPort)"])
        do {
            var ready = false
            for _ in 0..<100 where !ready {
                ready = (try? await client.range(RangeRequest(key: Bytes(utf8: "health")))) != nil
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(ready, "etcd did not start")
            for n in 0..<600 {
                _ = try await client.put(PutRequest(key: Bytes(utf8: "/load/\(n % 10)"), value: Bytes(utf8: "\(n)")))
            }
            #expect(try await client.range(RangeRequest(key: Bytes(utf8: "/load/9"))).kvs.first?.value == Bytes(utf8: "599"))
            await client.close()
            etcd.stop()
        } catch {
            await client.close()
            etcd.stop()
            throw error
        }
    }
}
