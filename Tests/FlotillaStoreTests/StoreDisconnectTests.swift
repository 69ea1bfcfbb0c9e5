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
                bytes += RawFrames.call("/etcdserverpb.KV/Range", stream: 5, port: port)
                bytes += try RawFrames.message(Etcdserverpb_RangeRequest.with {
                    $0.key = Data("big/".utf8); $0.rangeEnd = Data("big0".utf8)
                }, stream: 5, endStream: true)
                connection.send(bytes)
                var answered: Set<UInt32> = []
                let all = connection.readFrames(timeout: .seconds(10)) { frame in
                    if frame.type == 0 { answered.insert(frame.stream) }
                    return answered.isSuperset(of: [1, 3, 5])
                }
                #expect(all, "only streams \(answered.sorted()) answered before the disconnect")
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
                let connection = try RawConnection(port: port)
                connection.send(RawFrames.opening + RawFrames.call("/etcdserverpb.KV/Txn", stream: 1, port: port)
                                + (try RawFrames.message(txn, stream: 1, endStream: true)))
                if round % 4 >= 2 { try await Task.sleep(for: .microseconds(Int.random(in: 0...3_000))) }
                if round % 2 == 0 { connection.abort() } else { connection.close() }
            }
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
            }
            print("txn then disconnect: \(applied) of \(rounds) txns applied (whole), \(rounds - applied) not at all")
            try await expectServes(client, port: port, since: revision, after: "txns from vanishing clients")
        }
    }
}
