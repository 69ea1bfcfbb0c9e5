import FlotillaTesting
import Foundation
import FlotillaEtcd
import FlotillaStore
import Testing

/// The header revisions of the operation responses inside a transaction, as etcd reports them.
@Suite struct TxnRevisionsTests {
    private func b(_ s: String) -> Bytes { Bytes(utf8: s) }

    /// Delete nothing, read, put, read, nested [delete nothing, read], delete nothing: the reads
    /// and deletes before the put see the old revision, everything after it the new one.
    private var mixed: TxnRequest {
        TxnRequest(success: [
            .deleteRange(DeleteRangeRequest(key: b("missing"))),
            .range(RangeRequest(key: b("a"))),
            .put(PutRequest(key: b("a"), value: b("2"))),
            .range(RangeRequest(key: b("a"))),
            .txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("missing"))), .range(RangeRequest(key: b("a")))])),
            .deleteRange(DeleteRangeRequest(key: b("missing"))),
        ])
    }

    /// Every header revision in `responses`, depth first (nested transactions included).
    private func revisions(_ responses: [ResponseOp]) -> [Int64] {
        responses.flatMap { response -> [Int64] in
            switch response {
            case .range(let r): return [r.header.revision]
            case .put(let p): return [p.header.revision]
            case .deleteRange(let d): return [d.header.revision]
            case .txn(let t): return [t.header.revision] + revisions(t.responses)
            }
        }
    }

    @Test func readsBeforeTheFirstWriteSeeTheOldRevision() {
        let responses: [ResponseOp] = [
            .deleteRange(DeleteRangeResponse(header: ResponseHeader(revision: 9), deleted: 0, prevKVs: [])),
            .range(RangeResponse(header: ResponseHeader(revision: 9), kvs: [], more: false, count: 0)),
            .put(PutResponse(header: ResponseHeader(revision: 9), prevKV: nil)),
            .txn(TxnResponse(header: ResponseHeader(revision: 9), succeeded: true, responses: [
                .range(RangeResponse(header: ResponseHeader(revision: 9), kvs: [], more: false, count: 0))])),
        ]
        #expect(revisions(TxnRevisions.stamped(responses, finalRevision: 8)) == [7, 7, 8, 0, 8])
    }

    @Test func aDeleteThatDeletesIsAWrite() {
        let responses: [ResponseOp] = [
            .range(RangeResponse(header: ResponseHeader(revision: 0), kvs: [], more: false, count: 0)),
            .deleteRange(DeleteRangeResponse(header: ResponseHeader(revision: 0), deleted: 2, prevKVs: [])),
            .range(RangeResponse(header: ResponseHeader(revision: 0), kvs: [], more: false, count: 0)),
        ]
        #expect(revisions(TxnRevisions.stamped(responses, finalRevision: 5)) == [4, 5, 5])
        #expect(revisions(TxnRevisions.stamped(Array(responses.prefix(1)), finalRevision: 5)) == [5])
    }

    @Test func serverSendsEtcdsInnerRevisions() async throws {
        try await withEtcdServer { client, _, _ in
            _ = try await client.put(PutRequest(key: b("a"), value: b("1")))
            let response = try await client.txn(mixed)
            #expect(response.header.revision == 3)
            #expect(revisions(response.responses) == [2, 2, 3, 3, 0, 3, 3, 3])
        }
    }

    /// The same transaction against a real etcd 3.4 gives the same revisions (etcdctl cannot
    /// send nested transactions, so scripts/etcdctl-parity does not cover this).
    @Test(.enabled(if: onPath("etcd"), "etcd is not installed (apt-get install etcd-server)"))
    func realEtcdAgrees() async throws {
        let etcd = try RealEtcd.start()
        defer { etcd.stop() }
        let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(etcd.clientPort)"])
        do {
            var ready = false
            for _ in 0..<100 where !ready {
                ready = (try? await client.range(RangeRequest(key: b("health")))) != nil
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(ready, "etcd did not start")
            _ = try await client.put(PutRequest(key: b("a"), value: b("1")))
            let response = try await client.txn(mixed)
            #expect(response.header.revision == 3)
            #expect(revisions(response.responses) == [2, 2, 3, 3, 0, 3, 3, 3])
            await client.close()
        } catch {
            await client.close()
            throw error
        }
    }
}
