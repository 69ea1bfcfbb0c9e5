import FlotillaStore

extension StoreConformance {
    /// Transactions: compares, branches, nesting, revisions, limits and errors.
    static var txnCases: [Case] {
        [
            Case("txn.compareTargetsAndResults") { harness in
                let store = try await harness.makeStore()
                let lease = try await store.leaseGrant(ttl: 60, id: 7).id
                try await store.put("x", "other")
                try await store.put("a", "m", lease: lease)  // create 3, mod 3
                try await store.put("a", "m", lease: lease)  // mod 4, version 2
                let table: [(CompareTarget, CompareResult, Bool)] = [
                    (.version(2), .equal, true), (.version(2), .notEqual, false), (.version(1), .greater, true), (.version(3), .less, true),
                    (.createRevision(3), .equal, true), (.createRevision(2), .greater, true), (.createRevision(3), .less, false),
                    (.modRevision(4), .equal, true), (.modRevision(5), .less, true), (.modRevision(4), .greater, false),
                    (.value(b("m")), .equal, true), (.value(b("l")), .greater, true), (.value(b("n")), .less, true),
                    (.value(b("m")), .notEqual, false), (.lease(7), .equal, true), (.lease(8), .less, true), (.lease(0), .notEqual, true),
                ]
                for (target, result, expected) in table {
                    let response = try await store.txn(TxnRequest(compare: [Compare(key: b("a"), target, result)]))
                    try checkEqual(response.succeeded, expected, "compare \(target) \(result)")
                }
                let both = TxnRequest(compare: [Compare(key: b("a"), .version(2), .equal), Compare(key: b("x"), .version(5), .equal)])
                try checkEqual(try await store.txn(both).succeeded, false, "compares are ANDed")
            },
            Case("txn.missingKeyCompares") { harness in
                let store = try await harness.makeStore()
                let table: [(CompareTarget, CompareResult, Bool)] = [
                    (.version(0), .equal, true), (.createRevision(0), .equal, true), (.modRevision(0), .equal, true),
                    (.lease(0), .equal, true), (.version(0), .greater, false),
                    (.value([]), .equal, false), (.value(b("x")), .notEqual, false), (.value(b("x")), .less, false),
                ]
                for (target, result, expected) in table {
                    let response = try await store.txn(TxnRequest(compare: [Compare(key: b("missing"), target, result)]))
                    try checkEqual(response.succeeded, expected, "missing key: compare \(target) \(result)")
                }
            },
            Case("txn.rangeCompares") { harness in
                let store = try await harness.makeStore()
                try await store.put("p/a", "1")
                try await store.put("p/b", "1")
                try await store.put("p/b", "1")
                let end = KeyRange.prefixEnd(b("p/"))
                func holds(_ target: CompareTarget, _ result: CompareResult, _ key: String = "p/", _ rangeEnd: Bytes? = nil) async throws -> Bool {
                    try await store.txn(TxnRequest(compare: [Compare(key: b(key), target, result, rangeEnd: rangeEnd ?? end)])).succeeded
                }
                try checkEqual(try await holds(.version(0), .greater), true, "every key has version > 0")
                try checkEqual(try await holds(.version(1), .equal), false, "one key has version 2")
                try checkEqual(try await holds(.value(b("1")), .equal), true, "every value equal")
                try checkEqual(try await holds(.version(0), .equal, "q/", KeyRange.prefixEnd(b("q/"))), true, "empty range compares as zero")
                try checkEqual(try await holds(.value([]), .equal, "q/", KeyRange.prefixEnd(b("q/"))), false, "value compare on an empty range")
            },
            Case("txn.branchesAndResponses") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")
                let request = TxnRequest(compare: [Compare(key: b("a"), .value(b("1")), .equal)],
                                         success: [.put(PutRequest(key: b("b"), value: b("then"), prevKV: true)), .range(RangeRequest(key: b("a")))],
                                         failure: [.put(PutRequest(key: b("c"), value: b("else")))])
                let taken = try await store.txn(request)
                try checkEqual(taken.succeeded, true, "success branch")
                try checkEqual(taken.header.revision, 3, "one revision")
                try checkEqual(taken.responses.count, 2, "responses follow the branch")
                guard case .put(let put) = taken.responses[0], case .range(let range) = taken.responses[1] else {
                    throw ConformanceFailure("response kinds \(taken.responses)")
                }
                try checkEqual(put.prevKV, nil, "prev_kv of a new key in a txn")
                try checkEqual(range.kvs.first?.value, b("1"), "range inside the txn")
                try await store.put("a", "2")
                let other = try await store.txn(request)
                try checkEqual(other.succeeded, false, "failure branch")
                try checkEqual(try await store.get("c")?.value, b("else"), "failure branch wrote")
                try checkEqual(other.responses.count, 1, "failure responses")
            },
            Case("txn.readOnlyDoesNotBump") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")
                let read = try await store.txn(TxnRequest(success: [.range(RangeRequest(key: b("a")))]))
                try checkEqual(read.header.revision, 2, "read-only txn header")
                let noop = try await store.txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("zz")))]))
                try checkEqual(noop.header.revision, 2, "txn deleting nothing")
                let writes = try await store.txn(TxnRequest(success: [
                    .put(PutRequest(key: b("x"), value: b("1"))), .put(PutRequest(key: b("y"), value: b("1"))),
                    .deleteRange(DeleteRangeRequest(key: b("a"))),
                ]))
                try checkEqual(writes.header.revision, 3, "all writes share one revision")
                try checkEqual(try await store.get("x")?.modRevision, 3, "x mod revision")
                try checkEqual(try await store.get("y")?.modRevision, 3, "y mod revision")
            },
            Case("txn.readsOwnWrites") { harness in
                let store = try await harness.makeStore()
                let response = try await store.txn(TxnRequest(success: [
                    .put(PutRequest(key: b("a"), value: b("new"))), .range(RangeRequest(key: b("a"))),
                ]))
                guard case .range(let range) = response.responses.last else { throw ConformanceFailure("no range response") }
                try checkEqual(range.kvs.first?.value, b("new"), "range after put in the same txn")
            },
            Case("txn.nested") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")
                let inner = TxnRequest(compare: [Compare(key: b("a"), .value(b("1")), .equal)],
                                       success: [.put(PutRequest(key: b("inner"), value: b("yes")))],
                                       failure: [.put(PutRequest(key: b("inner"), value: b("no")))])
                let response = try await store.txn(TxnRequest(success: [.put(PutRequest(key: b("outer"), value: b("1"))), .txn(inner)]))
                try checkEqual(response.header.revision, 3, "nested writes share one revision")
                guard case .txn(let nested) = response.responses.last else { throw ConformanceFailure("no nested response") }
                try checkEqual(nested.succeeded, true, "nested compare")
                try checkEqual(nested.responses.count, 1, "nested responses")
                try checkEqual(try await store.get("inner")?.value, b("yes"), "nested write")
                try checkEqual(try await store.get("inner")?.modRevision, 3, "nested write revision")
            },
        ] + txnErrorCases
    }
}
