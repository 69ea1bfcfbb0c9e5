import FlotillaStore

extension StoreConformance {
    /// Transaction limits and errors; a failed transaction applies nothing.
    static var txnErrorCases: [Case] {
        [
            Case("txn.tooManyOperations") { harness in
                let store = try await harness.makeStore()
                let puts = (0..<StoreLimits.maxTxnOps).map { RequestOp.put(PutRequest(key: b("k\($0)"), value: b("v"))) }
                let ok = try await store.txn(TxnRequest(success: puts))
                try checkEqual(ok.header.revision, 2, "the maximum number of operations is fine")
                let extra = puts + [.put(PutRequest(key: b("extra"), value: b("v")))]
                try await checkThrows(.tooManyOperations, "one put too many") { try await store.txn(TxnRequest(success: extra)) }
                try await checkThrows(.tooManyOperations, "one put too many in failure") { try await store.txn(TxnRequest(failure: extra)) }
                let compares = (0...StoreLimits.maxTxnOps).map { Compare(key: b("k\($0)"), .version(0), .greater) }
                try await checkThrows(.tooManyOperations, "one compare too many") { try await store.txn(TxnRequest(compare: compares)) }
                try checkEqual(try await store.currentRevision(), 2, "nothing applied")
            },
            Case("txn.duplicateKeys") { harness in
                let store = try await harness.makeStore()
                let put: (String) -> RequestOp = { .put(PutRequest(key: b($0), value: b("v"))) }
                let rejected: [(String, TxnRequest)] = [
                    ("same key twice", TxnRequest(success: [put("a"), put("a")])),
                    ("put inside a delete range", TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("a"), rangeEnd: b("c"))), put("b")])),
                    ("put of a deleted key", TxnRequest(failure: [put("a"), .deleteRange(DeleteRangeRequest(key: b("a")))])),
                    ("nested put overlapping an outer put", TxnRequest(success: [put("a"), .txn(TxnRequest(success: [put("a")]))])),
                    ("nested put inside an outer delete", TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("a"), rangeEnd: b("c"))),
                                                                               .txn(TxnRequest(failure: [put("b")]))])),
                    ("outer put inside a nested delete", TxnRequest(success: [put("b"), .txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("b")))]))])),
                ]
                for (what, request) in rejected {
                    try await checkThrows(.duplicateKey, what) { try await store.txn(request) }
                }
                try checkEqual(try await store.currentRevision(), 1, "nothing applied")
                let thenElse = try await store.txn(TxnRequest(success: [put("a")], failure: [put("a")]))
                try checkEqual(thenElse.succeeded, true, "then/else may put the same key")
                let nested = try await store.txn(TxnRequest(success: [.txn(TxnRequest(success: [put("n")], failure: [put("n")]))]))
                try checkEqual(nested.header.revision, 3, "nested then/else may put the same key")
                let twoDeletes = try await store.txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("a"))),
                                                                          .deleteRange(DeleteRangeRequest(key: b("a")))]))
                try checkEqual(twoDeletes.header.revision, 4, "overlapping deletes are fine")
            },
            Case("txn.errorsApplyNothing") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")
                try await checkThrows(.leaseNotFound, "put with an unknown lease") {
                    try await store.txn(TxnRequest(success: [.put(PutRequest(key: b("b"), value: b("1"))),
                                                             .put(PutRequest(key: b("c"), value: b("1"), lease: 999))]))
                }
                try await checkThrows(.keyNotFound, "ignore_value on a missing key") {
                    try await store.txn(TxnRequest(success: [.put(PutRequest(key: b("b"), value: b("1"))),
                                                             .put(PutRequest(key: b("m"), ignoreValue: true))]))
                }
                try await checkThrows(.futureRevision, "range at a future revision") {
                    try await store.txn(TxnRequest(success: [.put(PutRequest(key: b("b"), value: b("1"))),
                                                             .range(RangeRequest(key: b("a"), revision: 99))]))
                }
                try await checkThrows(.valueProvided, "ignore_value with a value") {
                    try await store.txn(TxnRequest(success: [.put(PutRequest(key: b("a"), value: b("1"), ignoreValue: true))]))
                }
                try await checkThrows(.keyNotProvided, "empty key in a branch") {
                    try await store.txn(TxnRequest(failure: [.range(RangeRequest(key: []))]))
                }
                try checkEqual(try await store.currentRevision(), 2, "nothing applied")
                try checkEqual(try await store.get("b"), nil, "b not written")
                let unchosen = try await store.txn(TxnRequest(compare: [Compare(key: b("a"), .value(b("1")), .equal)],
                                                              failure: [.put(PutRequest(key: b("c"), value: b("1"), lease: 999))]))
                try checkEqual(unchosen.succeeded, true, "errors in the branch not taken are not checked")
            },
        ]
    }
}
