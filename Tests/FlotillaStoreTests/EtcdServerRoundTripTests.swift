import Foundation
import FlotillaEtcd
import FlotillaStore
import FlotillaTesting
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

/// EtcdStore ↔ EtcdServer ↔ InMemoryStore: every RPC round-trips, errors keep etcd's texts.
@Suite struct EtcdServerRoundTripTests {
    @Test func kvRoundTrips() async throws {
        try await withEtcdServer { client, _, _ in
            let put = try await client.put(PutRequest(key: Bytes(utf8: "/a"), value: Bytes(utf8: "1")))
            #expect(put.header.revision == 2)
            let again = try await client.put(PutRequest(key: Bytes(utf8: "/a"), value: Bytes(utf8: "2"), prevKV: true))
            #expect(again.prevKV?.value == Bytes(utf8: "1"))
            _ = try await client.put(PutRequest(key: Bytes(utf8: "/b"), value: Bytes(utf8: "3")))
            let all = try await client.range(.prefix(Bytes(utf8: "/")))
            #expect(all.kvs.map(\.key) == [Bytes(utf8: "/a"), Bytes(utf8: "/b")])
            #expect(all.kvs[0].version == 2 && all.kvs[0].createRevision == 2 && all.kvs[0].modRevision == 3)
            let limited = try await client.range(RangeRequest(key: Bytes(utf8: "/"), rangeEnd: Bytes(utf8: "0"), limit: 1,
                                                              sortOrder: .descend, sortTarget: .mod))
            #expect(limited.more && limited.count == 2 && limited.kvs.map(\.key) == [Bytes(utf8: "/b")])
            let txn = try await client.txn(TxnRequest(
                compare: [Compare(key: Bytes(utf8: "/a"), .modRevision(3), .equal),
                          Compare(key: Bytes(utf8: "/"), .version(0), .greater, rangeEnd: Bytes(utf8: "0"))],
                success: [.put(PutRequest(key: Bytes(utf8: "/c"), value: Bytes(utf8: "4"))),
                          .range(RangeRequest(key: Bytes(utf8: "/c"))),
                          .txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: Bytes(utf8: "/b")))]))]))
            #expect(txn.succeeded && txn.responses.count == 3)
            if case .range(let r) = txn.responses[1] { #expect(r.kvs.first?.value == Bytes(utf8: "4")) } else { Issue.record("no range") }
            let failed = try await client.txn(TxnRequest(compare: [Compare(key: Bytes(utf8: "/a"), .value(Bytes(utf8: "x")), .equal)],
                                                          failure: [.range(RangeRequest(key: Bytes(utf8: "/a")))]))
            #expect(!failed.succeeded && failed.header.revision == txn.header.revision)
            let deleted = try await client.deleteRange(DeleteRangeRequest(key: Bytes(utf8: "/"), rangeEnd: Bytes(utf8: "0"), prevKV: true))
            #expect(deleted.deleted == 2 && deleted.prevKVs.count == 2)
            let compacted = try await client.compact(CompactionRequest(revision: 3))
            #expect(compacted.revision == deleted.header.revision)
            let status = try await client.status()
            #expect(status.compactRevision == 3 && status.version == "3.4.23" && status.header.revision == deleted.header.revision)
        }
    }

    @Test func errorsKeepEtcdTexts() async throws {
        try await withEtcdServer { client, _, backing in
            for (call, expected) in [
                ({ _ = try await client.put(PutRequest(key: [])) }, StoreError.keyNotProvided),
                ({ _ = try await client.range(RangeRequest(key: Bytes(utf8: "k"), revision: 99)) }, .futureRevision),
                ({ _ = try await client.put(PutRequest(key: Bytes(utf8: "k"), lease: 77)) }, .leaseNotFound),
                ({ _ = try await client.put(PutRequest(key: Bytes(utf8: "k"), ignoreValue: true)) }, .keyNotFound),
                ({ _ = try await client.leaseRevoke(id: 5) }, .leaseNotFound),
            ] as [(() async throws -> Void, StoreError)] {
                await #expect(throws: expected) { try await call() }
            }
            // The same errors as the backing store, value for value (compact revision included).
            _ = try await client.put(PutRequest(key: Bytes(utf8: "k"), value: Bytes(utf8: "v")))
            _ = try await client.put(PutRequest(key: Bytes(utf8: "k"), value: Bytes(utf8: "w")))
            _ = try await client.compact(CompactionRequest(revision: 3))
            var direct: StoreError?
            do { _ = try await backing.range(RangeRequest(key: Bytes(utf8: "k"), revision: 2)) } catch let e as StoreError { direct = e }
            await #expect(throws: direct!) { _ = try await client.range(RangeRequest(key: Bytes(utf8: "k"), revision: 2)) }
            await #expect(throws: direct!) { _ = try await client.compact(CompactionRequest(revision: 2)) }
            let big = Bytes(repeating: 7, count: StoreLimits.maxRequestBytes + 10)
            await #expect(throws: StoreError.requestTooLarge) { _ = try await client.put(PutRequest(key: Bytes(utf8: "big"), value: big)) }
            let huge = Bytes(repeating: 7, count: StoreLimits.maxRequestBytes + 600 * 1024)
            await #expect(throws: StoreError.self) { _ = try await client.put(PutRequest(key: Bytes(utf8: "big"), value: huge)) }
            // Still serving after both.
            #expect(try await client.range(RangeRequest(key: Bytes(utf8: "k"))).kvs.count == 1)
        }
    }

    @Test func leasesRoundTrip() async throws {
        try await withEtcdServer { client, _, _ in
            let grant = try await client.leaseGrant(ttl: 1, id: 0)
            #expect(grant.ttl == StoreLimits.minLeaseTTL && grant.id > 0)
            await #expect(throws: StoreError.leaseExists) { _ = try await client.leaseGrant(ttl: 5, id: grant.id) }
            _ = try await client.put(PutRequest(key: Bytes(utf8: "/l"), value: Bytes(utf8: "x"), lease: grant.id))
            let ttl = try await client.leaseTimeToLive(id: grant.id, keys: true)
            #expect(ttl.grantedTTL == grant.ttl && ttl.keys == [Bytes(utf8: "/l")])
            #expect(try await client.leaseLeases().leases == [grant.id])
            let kept = try await client.leaseKeepAlive(id: grant.id)
            #expect(kept.id == grant.id && kept.ttl == grant.ttl)
            #expect(try await client.leaseKeepAlive(id: 424242).ttl == 0)
            #expect(try await client.leaseTimeToLive(id: 424242, keys: false).ttl == -1)
            _ = try await client.leaseRevoke(id: grant.id)
            #expect(try await client.range(RangeRequest(key: Bytes(utf8: "/l"))).kvs.isEmpty)
        }
    }

    @Test func watchThroughClient() async throws {
        try await withEtcdServer { client, _, _ in
            let watch = try await client.watch(WatchCreateRequest(key: Bytes(utf8: "/w/"), rangeEnd: KeyRange.prefixEnd(Bytes(utf8: "/w/")), prevKV: true))
            _ = try await client.put(PutRequest(key: Bytes(utf8: "/w/1"), value: Bytes(utf8: "a")))
            _ = try await client.put(PutRequest(key: Bytes(utf8: "/w/1"), value: Bytes(utf8: "b")))
            var iterator = watch.makeAsyncIterator()
            var events: [Event] = []
            while events.count < 2, let batch = try await iterator.next() { events += batch.events }
            #expect(events.map(\.kv.value) == [Bytes(utf8: "a"), Bytes(utf8: "b")])
            #expect(events[1].prevKV?.value == Bytes(utf8: "a"))
            watch.requestProgress()
            let progress = try await iterator.next()
            #expect(progress?.events.isEmpty == true && progress?.header.revision == 3)
            watch.cancel()
            // Compacted start revision → StoreError.compacted.
            _ = try await client.compact(CompactionRequest(revision: 3))
            let old = try await client.watch(WatchCreateRequest(key: Bytes(utf8: "/w/1"), startRevision: 2))
            await #expect(throws: StoreError.compacted(compactRevision: 3)) { for try await _ in old {} }
        }
    }
}
