import FlotillaStore

extension StoreConformance {
    /// Revisions, create/mod revision and version, historical reads.
    static var revisionCases: [Case] {
        [
            Case("revisions.freshStoreStartsAtOne") { harness in
                let store = try await harness.makeStore()
                try checkEqual(try await store.currentRevision(), 1, "fresh store revision")
                try checkEqual(try await store.put("a", "1"), 2, "first write revision")
                try checkEqual(try await store.put("b", "1"), 3, "second write revision")
                try checkEqual(try await store.currentRevision(), 3, "revision after two writes")
            },
            Case("revisions.createModVersion") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "v")
                try checkEqual(try await store.get("a"), KeyValue(key: b("a"), createRevision: 2, modRevision: 2, version: 1, value: b("v")), "created key")
                try await store.put("a", "v")
                try checkEqual(try await store.get("a"), KeyValue(key: b("a"), createRevision: 2, modRevision: 3, version: 2, value: b("v")), "identical update bumps version")
                let deleted = try await store.deleteRange(DeleteRangeRequest(key: b("a")))
                try checkEqual(deleted.header.revision, 4, "delete revision")
                try await store.put("a", "w")
                try checkEqual(try await store.get("a"), KeyValue(key: b("a"), createRevision: 5, modRevision: 5, version: 1, value: b("w")), "put after delete is a fresh creation")
            },
            Case("revisions.historicalReads") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")
                try await store.put("a", "2")
                _ = try await store.deleteRange(DeleteRangeRequest(key: b("a")))
                try checkEqual(try await store.get("a", revision: 1), nil, "before creation")
                try checkEqual(try await store.get("a", revision: 2)?.value, b("1"), "at revision 2")
                try checkEqual(try await store.get("a", revision: 3)?.value, b("2"), "at revision 3")
                try checkEqual(try await store.get("a", revision: 4), nil, "after delete")
                let old = try await store.range(RangeRequest(key: b("a"), revision: 2))
                try checkEqual(old.header.revision, 4, "historical read header is the current revision")
            },
            Case("revisions.futureRead") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")
                try await checkThrows(.futureRevision, "read at current+1") {
                    try await store.range(RangeRequest(key: b("a"), revision: 3))
                }
                try checkEqual(try await store.get("a", revision: 2)?.value, b("1"), "read at current")
            },
        ]
    }

    /// Keys and ranges: empty keys, single keys, explicit ranges, prefixes, from-key, all keys.
    static var keyCases: [Case] {
        [
            Case("keys.emptyKeyRejected") { harness in
                let store = try await harness.makeStore()
                try await checkThrows(.keyNotProvided, "range") { try await store.range(RangeRequest(key: [])) }
                try await checkThrows(.keyNotProvided, "put") { try await store.put(PutRequest(key: [], value: b("x"))) }
                try await checkThrows(.keyNotProvided, "delete") { try await store.deleteRange(DeleteRangeRequest(key: [])) }
                try await checkThrows(.keyNotProvided, "compare") {
                    try await store.txn(TxnRequest(compare: [Compare(key: [], .version(0), .equal)]))
                }
                try checkEqual(try await store.currentRevision(), 1, "revision after rejected requests")
            },
            Case("keys.singleAndExplicitRange") { harness in
                let store = try await harness.makeStore()
                for key in ["c", "ab", "b", "a"] { try await store.put(key, key) }
                let single = try await store.range(RangeRequest(key: b("a")))
                try checkEqual(keys(single.kvs), ["a"], "single key")
                let explicit = try await store.range(RangeRequest(key: b("a"), rangeEnd: b("c")))
                try checkEqual(keys(explicit.kvs), ["a", "ab", "b"], "range [a, c), key-ascending")
                try checkEqual(explicit.count, 3, "count")
                let missing = try await store.range(RangeRequest(key: b("zz")))
                try checkEqual(missing.kvs.count, 0, "missing key")
                try checkEqual(missing.count, 0, "missing key count")
            },
            Case("keys.prefix") { harness in
                let store = try await harness.makeStore()
                for key in ["/p/a", "/p/b", "/p0", "/q", "/p"] { try await store.put(key, "x") }
                let prefix = try await store.range(.prefix(b("/p/")))
                try checkEqual(keys(prefix.kvs), ["/p/a", "/p/b"], "prefix /p/")
                _ = try await store.put(PutRequest(key: [0x61, 0xff], value: b("x")))
                _ = try await store.put(PutRequest(key: [0x61, 0xff, 0x01], value: b("x")))
                _ = try await store.put(PutRequest(key: [0x62], value: b("x")))
                let high = try await store.range(.prefix([0x61, 0xff]))
                try checkEqual(high.kvs.map(\.key), [[0x61, 0xff], [0x61, 0xff, 0x01]], "prefix ending in 0xff")
            },
            Case("keys.fromKeyAndAllKeys") { harness in
                let store = try await harness.makeStore()
                for key in ["b", "a", "c"] { try await store.put(key, key) }
                let from = try await store.range(RangeRequest(key: b("b"), rangeEnd: KeyRange.allFromKey))
                try checkEqual(keys(from.kvs), ["b", "c"], "every key >= b")
                let all = try await store.range(RangeRequest(key: [0], rangeEnd: [0]))
                try checkEqual(keys(all.kvs), ["a", "b", "c"], "every key")
                let prefixAll = try await store.range(.prefix([]))
                try checkEqual(keys(prefixAll.kvs), ["a", "b", "c"], "empty prefix")
            },
        ]
    }
}
