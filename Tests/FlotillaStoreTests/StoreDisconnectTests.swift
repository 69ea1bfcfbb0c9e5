import FlotillaEtcd
import FlotillaStore
import Foundation
import Testing

/// Clients that vanish mid-call (TCP reset or plain close, no gRPC goodbye): the server keeps
/// serving, drops their watches, and a txn they sent is applied whole or not at all.
@Suite("store client disconnects", .serialized)
struct StoreDisconnectTests {
    @Test func openStreamsEndWhenTheClientVanishes() async throws {
        try await withSQLiteEtcdServer { client, port, store in
            // 160 × 10 KiB under big/: a Range answer far larger than the 64 KiB window the
            // raw client grants, so the server is stuck mid-write when the client goes.
            for chunk in 0..<16 {
                let puts = (0..<10).map { RequestOp.put(PutRequest(key: Bytes(utf8: "big/\(chunk)/\($0)"), value: Bytes(repeating: 0x78, count: 10_240))) }
                _ = try await client.txn(TxnRequest(success: puts))
            }
            let lease = try await client.leaseGrant(ttl: 60, id: 0).id
            var revision = try await client.range(RangeRequest(key: Bytes(utf8: "alive"))).header.revision
            let baseline = store.activeWatchCount
            for ending in ["reset", "close", "reset"] {
                let connection = try RawConnection(port: port)
                var bytes = RawFrames.opening + RawFrames.call("/etcdserverpb.Watch/Watch", stream: 1, port: port)
                bytes += try RawFrames.message(Etcdserverpb_WatchRequest.with {
                    $0.createRequest.key = Data("big/".utf8); $0.createRequest.rangeEnd = Data("big0".utf8)
                }, stream: 1)
                bytes += RawFrames.call("/etcdserverpb.Lease/LeaseKeepAlive", stream: 3, port: port)
                bytes += try RawFrames.message(Etcdserverpb_LeaseKeepAliveRequest.with { $0.id = lease }, stream: 3)
                connection.send(bytes)
                // The watch and the keep-alive answer first; the Range answer then fills the
                // whole connection window, so the server is left mid-write.
                var answered: Set<UInt32> = []
                let streamsUp = connection.readFrames(timeout: .seconds(10)) { frame in
                    if frame.type == 0 { answered.insert(frame.stream) }
                    return answered.isSuperset(of: [1, 3])
                }
                #expect(streamsUp, "only streams \(answered.sorted()) answered")
                connection.send(RawFrames.call("/etcdserverpb.KV/Range", stream: 5, port: port)
                                + (try RawFrames.message(Etcdserverpb_RangeRequest.with {
                                    $0.key = Data("big/".utf8); $0.rangeEnd = Data("big0".utf8)
                                }, stream: 5, endStream: true)))
                let all = connection.readFrames(timeout: .seconds(10)) { frame in frame.type == 0 && frame.stream == 5 }
                #expect(all, "the Range was not answered")
                #expect(store.activeWatchCount == baseline + 1)
                if ending == "reset" { connection.abort() } else { connection.close() }
                let cleaned = await eventually { store.activeWatchCount == baseline }
                #expect(cleaned, "after a \(ending): \(store.activeWatchCount - baseline) watches left behind")
                #expect(try await client.leaseTimeToLive(id: lease, keys: false).ttl > 0, "the lease died with its keep-alive stream")
                revision = try await expectServes(client, port: port, since: revision, after: "a client \(ending) mid-stream")
            }
        }
    }

    @Test func aTxnFromAVanishingClientIsAllOrNothing() async throws {
        try await withSQLiteEtcdServer { client, port, store in
            let rounds = 40, width = 50
            for round in 0..<rounds {
                let txn = Etcdserverpb_TxnRequest.with { txn in
                    txn.success = (0..<width).map { index in
                        Etcdserverpb_RequestOp.with { $0.requestPut = .with { put in
                            put.key = Data("cut/\(round)/\(index)".utf8); put.value = Data(repeating: 0x79, count: 1_000)
                        } }
                    }
                }
                // Ways to vanish: mid-request; right after sending; after the handshake; a
                // moment after sending; a little later (FIN instead of RST on odd rounds).
                let connection = try RawConnection(port: port)
                let request = RawFrames.call("/etcdserverpb.KV/Txn", stream: 1, port: port) + (try RawFrames.message(txn, stream: 1, endStream: true))
                if round % 5 == 4 {
                    // Only part of the request: must not be applied at all.
                    connection.send(RawFrames.opening + request.prefix(request.count * Int.random(in: 1...9) / 10))
                } else if round % 4 == 0 {
                    connection.send(RawFrames.opening + request)
                } else {
                    connection.send(RawFrames.opening)
                    _ = connection.readFrames(timeout: .seconds(5)) { $0.type == 4 }
                    connection.send(request)
                    if round % 4 == 2 { try await Task.sleep(for: .microseconds(Int.random(in: 0...3_000))) }
                    if round % 4 == 3 { try await Task.sleep(for: .microseconds(Int.random(in: 0...20_000))) }
                }
                if round % 2 == 0 { connection.abort() } else { connection.close() }
            }
            // Control: the same request from a client that waits for the answer is applied.
            let patient = try RawConnection(port: port)
            patient.send(RawFrames.opening + RawFrames.call("/etcdserverpb.KV/Txn", stream: 1, port: port)
                         + (try RawFrames.message(Etcdserverpb_TxnRequest.with {
                             $0.success = [.with { $0.requestPut = .with { $0.key = Data("cut/control".utf8) } }]
                         }, stream: 1, endStream: true)))
            #expect(patient.readFrames(timeout: .seconds(10)) { $0.type == 1 && $0.stream == 1 && $0.flags & 1 == 1 })
            patient.close()
            #expect(try await store.range(RangeRequest(key: Bytes(utf8: "cut/control"))).kvs.count == 1)
            // Let the server finish whatever it took in: the revision stops moving.
            var last: Int64 = -1
            var revision = try await client.range(RangeRequest(key: Bytes(utf8: "alive"))).header.revision
            while revision != last {
                last = revision
                try await Task.sleep(for: .milliseconds(300))
                revision = try await client.range(RangeRequest(key: Bytes(utf8: "alive"))).header.revision
            }
            var applied = 0
            for round in 0..<rounds {
                let keys = try await store.range(RangeRequest.prefix(Bytes(utf8: "cut/\(round)/"))).kvs
                #expect(keys.isEmpty || (keys.count == width && Set(keys.map(\.modRevision)).count == 1),
                        "txn \(round) half-applied: \(keys.count) of \(width) keys, revisions \(Set(keys.map(\.modRevision)))")
                if !keys.isEmpty { applied += 1 }
                if round % 5 == 4 { #expect(keys.isEmpty, "txn \(round) was applied from a partial request") }
            }
            print("txn then disconnect: \(applied) of \(rounds) txns applied (whole), \(rounds - applied) not at all")
            try await expectServes(client, port: port, since: revision, after: "txns from vanishing clients")
        }
    }
}
