import FlotillaStore

extension StoreConformance {
    /// Put options and delete-range behaviour.
    static var putDeleteCases: [Case] {
        [
            Case("put.prevKV") { harness in
                let store = try await harness.makeStore()
                let first = try await store.put(PutRequest(key: b("a"), value: b("1"), prevKV: true))
                try checkEqual(first.prevKV, nil, "prev_kv of a new key")
                let second = try await store.put(PutRequest(key: b("a"), value: b("2"), prevKV: true))
                try checkEqual(second.prevKV, KeyValue(key: b("a"), createRevision: 2, modRevision: 2, version: 1, value: b("1")), "prev_kv")
                let third = try await store.put(PutRequest(key: b("a"), value: b("3")))
                try checkEqual(third.prevKV, nil, "no prev_kv unless asked")
            },
            Case("put.ignoreValue") { harness in
                let store = try await harness.makeStore()
                try await checkThrows(.keyNotFound, "ignore_value on a missing key") {
                    try await store.put(PutRequest(key: b("a"), ignoreValue: true))
                }
                try await store.put("a", "keep")
                try await checkThrows(.valueProvided, "ignore_value with a value") {
                    try await store.put(PutRequest(key: b("a"), value: b("x"), ignoreValue: true))
                }
                let lease = try await store.leaseGrant(ttl: 60, id: 0).id
                _ = try await store.put(PutRequest(key: b("a"), lease: lease, ignoreValue: true))
                let kv = try await store.get("a")
                try checkEqual(kv?.value, b("keep"), "value kept")
                try checkEqual(kv?.lease, lease, "lease updated")
                try checkEqual(kv?.version, 2, "version bumped")
            },
            Case("put.ignoreLease") { harness in
                let store = try await harness.makeStore()
                try await checkThrows(.keyNotFound, "ignore_lease on a missing key") {
                    try await store.put(PutRequest(key: b("a"), value: b("1"), ignoreLease: true))
                }
                let lease = try await store.leaseGrant(ttl: 60, id: 0).id
                try await store.put("a", "1", lease: lease)
                try await checkThrows(.leaseProvided, "ignore_lease with a lease") {
                    try await store.put(PutRequest(key: b("a"), value: b("2"), lease: lease, ignoreLease: true))
                }
                _ = try await store.put(PutRequest(key: b("a"), value: b("2"), ignoreLease: true))
                let kv = try await store.get("a")
                try checkEqual(kv?.value, b("2"), "value updated")
                try checkEqual(kv?.lease, lease, "lease kept")
            },
            Case("put.unknownLease") { harness in
                let store = try await harness.makeStore()
                try await checkThrows(.leaseNotFound, "put with an unknown lease") {
                    try await store.put(PutRequest(key: b("a"), value: b("1"), lease: 12345))
                }
                try checkEqual(try await store.currentRevision(), 1, "nothing written")
            },
            Case("delete.rangeSharesOneRevision") { harness in
                let store = try await harness.makeStore()
                for key in ["a", "ab", "b", "c"] { try await store.put(key, key) }
                let response = try await store.deleteRange(DeleteRangeRequest(key: b("a"), rangeEnd: b("c")))
                try checkEqual(response.deleted, 3, "deleted count")
                try checkEqual(response.header.revision, 6, "one revision for the whole delete")
                try checkEqual(response.prevKVs, [], "no prev_kvs unless asked")
                try checkEqual(keys(try await store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs), ["c"], "left")
                try checkEqual(try await store.range(RangeRequest(key: b("a"), rangeEnd: b("c"), revision: 5)).kvs.count, 3, "before the delete")
            },
            Case("delete.nothingDoesNotBump") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")
                let response = try await store.deleteRange(DeleteRangeRequest(key: b("zz")))
                try checkEqual(response.deleted, 0, "deleted count")
                try checkEqual(response.header.revision, 2, "revision unchanged")
                try checkEqual(try await store.currentRevision(), 2, "store revision unchanged")
            },
            Case("delete.prevKVsAndSingleKey") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")
                try await store.put("ab", "2")
                let response = try await store.deleteRange(DeleteRangeRequest(key: b("a"), prevKV: true))
                try checkEqual(response.deleted, 1, "a single key deletes only that key")
                try checkEqual(response.prevKVs, [KeyValue(key: b("a"), createRevision: 2, modRevision: 2, version: 1, value: b("1"))], "prev_kvs")
                try checkEqual(try await store.get("ab")?.value, b("2"), "ab untouched")
            },
        ]
    }
}
