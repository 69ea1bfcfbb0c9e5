import FlotillaStore
import FlotillaTesting
import Testing

/// The shared pure rules in `FlotillaStore/Semantics`, and proof that the conformance suite
/// catches a store that breaks them.
@Suite struct InMemorySemanticsTests {
    private func put(_ key: String) -> RequestOp { .put(PutRequest(key: Bytes(utf8: key), value: [])) }

    @Test func duplicateKeyRules() {
        #expect(throws: StoreError.duplicateKey) { try RequestValidation.validate(TxnRequest(success: [put("a"), put("a")])) }
        #expect(throws: StoreError.duplicateKey) {
            try RequestValidation.validate(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: Bytes(utf8: "a"), rangeEnd: [0])), put("z")]))
        }
        #expect(throws: Never.self) {
            try RequestValidation.validate(TxnRequest(success: [.txn(TxnRequest(success: [put("a")], failure: [put("a")])), put("b")]))
        }
        #expect(throws: StoreError.duplicateKey) {
            try RequestValidation.validate(TxnRequest(success: [.txn(TxnRequest(success: [put("b")], failure: [put("a")])), put("a")]))
        }
    }

    @Test func nestedTransactionsShareTheOperationBudget() {
        let inner = TxnRequest(success: Array(repeating: .range(RangeRequest(key: Bytes(utf8: "a"))), count: 100))
        let outer = TxnRequest(success: Array(repeating: .range(RangeRequest(key: Bytes(utf8: "a"))), count: 30) + [.txn(inner)])
        #expect(throws: StoreError.tooManyOperations) { try RequestValidation.validate(outer) }
    }

    @Test func rangeProcessingOrder() {
        let kvs = (1...4).map { KeyValue(key: Bytes(utf8: "k\($0)"), createRevision: Int64($0), modRevision: Int64(10 - $0), version: 1) }
        let request = RangeRequest(key: Bytes(utf8: "k"), rangeEnd: Bytes(utf8: "l"), limit: 2, sortOrder: .none, sortTarget: .mod,
                                   minCreateRevision: 2)
        let response = RangeProcessing.respond(to: request, kvs: kvs, currentRevision: 20)
        #expect(response.kvs.map(\.key.utf8String) == ["k4", "k3"])
        #expect(response.more)
        #expect(response.count == 4)
        #expect(response.header.revision == 20)
    }

    @Test func revisionRules() {
        #expect(throws: StoreError.futureRevision) { try RevisionRules.checkRead(6, current: 5, compactRevision: 0) }
        #expect(throws: StoreError.compacted(compactRevision: 3)) { try RevisionRules.checkRead(2, current: 5, compactRevision: 3) }
        #expect(throws: Never.self) { try RevisionRules.checkRead(3, current: 5, compactRevision: 3) }
        #expect(throws: StoreError.compacted(compactRevision: 3)) { try RevisionRules.checkCompact(3, current: 5, compactRevision: 3) }
        #expect(RevisionRules.firstWatchedRevision(0, current: 5) == 6)
    }

    @Test func missingKeyCompares() {
        #expect(CompareEvaluation.holds(Compare(key: Bytes(utf8: "a"), .createRevision(0), .equal), on: nil))
        #expect(!CompareEvaluation.holds(Compare(key: Bytes(utf8: "a"), .value([]), .equal), on: nil))
    }

    @Test func suiteCatchesABrokenStore() async {
        let failures = await StoreConformance.runAll(includeSlow: false) {
            RealTimeStoreHarness { VersionlessStore(inner: InMemoryStore()) }
        }
        #expect(failures["revisions.createModVersion"] != nil)
        #expect(failures["compaction.reads"] != nil)
        #expect(failures["keys.prefix"] == nil)
    }
}

/// A deliberately wrong store: every key reads back with version 1.
private struct VersionlessStore: KeyValueStore {
    let inner: InMemoryStore

    func range(_ request: RangeRequest) async throws -> RangeResponse {
        var response = try await inner.range(request)
        for index in response.kvs.indices { response.kvs[index].version = 1 }
        return response
    }
    func put(_ request: PutRequest) async throws -> PutResponse { try await inner.put(request) }
    func deleteRange(_ request: DeleteRangeRequest) async throws -> DeleteRangeResponse { try await inner.deleteRange(request) }
    func txn(_ request: TxnRequest) async throws -> TxnResponse { try await inner.txn(request) }
    func compact(_ request: CompactionRequest) async throws -> ResponseHeader { try await inner.compact(request) }
    func watch(_ request: WatchCreateRequest) async throws -> WatchStream { try await inner.watch(request) }
    func leaseGrant(ttl: Int64, id: Int64) async throws -> LeaseGrantResponse { try await inner.leaseGrant(ttl: ttl, id: id) }
    func leaseRevoke(id: Int64) async throws -> ResponseHeader { try await inner.leaseRevoke(id: id) }
    func leaseKeepAlive(id: Int64) async throws -> LeaseKeepAliveResponse { await inner.leaseKeepAlive(id: id) }
    func leaseTimeToLive(id: Int64, keys: Bool) async throws -> LeaseTimeToLiveResponse { await inner.leaseTimeToLive(id: id, keys: keys) }
    func leaseLeases() async throws -> LeaseLeasesResponse { await inner.leaseLeases() }
    func status() async throws -> StoreStatus { await inner.status() }
}
