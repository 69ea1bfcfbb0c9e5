import FlotillaTesting
import FlotillaEtcd
import FlotillaStore
import Foundation
import NIOCore
import NIOHPACK
import Testing

/// A watcher that stops reading does not make the embedded store buffer every later change:
/// past the stream's queue limit the stream ends with etcd's `Canceled "etcdserver: watch
/// canceled"`, and the server goes on serving everyone else.
///
/// The stalled client speaks HTTP/2 by hand and never grants flow-control window, as a
/// client that stopped reading does. (etcdctl cannot play it: clientv3 reads every watch
/// response into its own unbounded buffer, even when nothing consumes them.)
@Suite("a stalled watcher")
struct StalledWatcherTests {
    @Test("a watch stream whose client stops reading is cut off with etcd's error; writes go on")
    func stalledWatcherIsCancelled() async throws {
        try await withWatchLimits(stallAfter: .milliseconds(500)) { client, port, server in
            let watcher = try RawConnection(port: port)
            defer { watcher.close() }
            let create = Etcdserverpb_WatchRequest.with {
                $0.createRequest = .with { $0.key = Data("big/".utf8); $0.rangeEnd = Data("big0".utf8) }
            }
            watcher.send(RawFrames.opening + RawFrames.call("/etcdserverpb.Watch/Watch", stream: 1, port: port)
                         + (try RawFrames.message(create, stream: 1)))
            var headers = HPACKDecoder(allocator: ByteBufferAllocator())
            var created = false
            #expect(watcher.readFrames(timeout: .seconds(10)) { frame in
                if frame.type == 1 { _ = frame.decodeHeaders(&headers) }
                created = created || (frame.type == 0 && frame.stream == 1)
                return created
            }, "the watch is created")

            // Changes of 256 KiB, ten a second: the stream's window is 64 KiB, the queue
            // bound 1 MiB; half a second after the writer last got anything out, it is cut off.
            let value = Bytes(repeating: 0x61, count: 256 << 10)
            var puts = 0
            while server.stalledWatchStreams == 0 && puts < 300 {
                _ = try await client.put(PutRequest(key: Bytes(utf8: "big/\(puts)"), value: value))
                puts += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(server.stalledWatchStreams == 1, "the stalled stream was cut off")
            #expect(puts > 4, "not before more than the queue's bound waited: \(puts) changes")

            // The server still serves, and every write is there.
            let after = try await client.put(PutRequest(key: Bytes(utf8: "alive"), value: Bytes(utf8: "yes")))
            #expect(try await client.range(.prefix(Bytes(utf8: "big/"))).count == Int64(puts))
            #expect(try await client.range(RangeRequest(key: Bytes(utf8: "alive"))).kvs.first?.modRevision == after.header.revision)

            // Reading again (all the window it wants), the client gets what was in flight,
            // then the end of the call with etcd's status.
            let window = withUnsafeBytes(of: UInt32(0x7fff_0000).bigEndian, Array.init)
            watcher.send(RawFrames.frame(type: 8, flags: 0, stream: 0, payload: window) + RawFrames.frame(type: 8, flags: 0, stream: 1, payload: window))
            var delivered = 0
            let status = watcher.trailers(of: 1, decoder: &headers, timeout: .seconds(20)) { delivered += $0.payload.count }
            #expect(status?.first(name: "grpc-status") == "1" && status?.first(name: "grpc-message") == "etcdserver: watch canceled",
                    "the call ends with etcd's error: \(String(describing: status))")
            #expect(delivered < (2 << 20), "only what was in flight (the window, the connection's buffers) reached the stalled watcher, not the queue: \(delivered) bytes")
        }
    }

    @Test("a client that reads keeps its stream through a history replay far over the queue bound")
    func readingClientKeepsItsStream() async throws {
        try await withWatchLimits(stallAfter: .seconds(5)) { client, _, server in
            let value = Bytes(repeating: 0x62, count: 256 << 10)
            let puts = 40
            for index in 0..<puts { _ = try await client.put(PutRequest(key: Bytes(utf8: "burst/\(index)"), value: value)) }
            // The whole 10 MiB history replays into the queue at once; the client reads it all.
            let stream = try await client.watch(WatchCreateRequest(key: Bytes(utf8: "burst/"), rangeEnd: Bytes(utf8: "burst0"), startRevision: 1))
            var seen = 0
            for try await batch in stream {
                seen += batch.events.count
                if seen >= puts { break }
            }
            stream.cancel()
            #expect(seen == puts && server.stalledWatchStreams == 0)
        }
    }

    /// An embedded store server whose watch streams are cut off at 1 MiB waiting and
    /// `stallAfter` without progress, over a fresh SQLite store.
    private func withWatchLimits(stallAfter: Duration,
                                 _ body: (_ client: EtcdStore, _ port: Int, _ server: EtcdServer) async throws -> Void) async throws {
        try await withScratch { scratch in
            var configuration = EtcdServer.Configuration(port: 0, name: "watch-limits")
            configuration.watchQueueLimit = 1 << 20
            configuration.watchStallAfter = stallAfter
            try await withEtcdServer(over: try scratch.open(), configuration: configuration, body)
        }
    }
}
