import FlotillaStore

extension StoreConformance {
    /// Range options: limit, count, filters, sort, keys-only, count-only.
    static var rangeCases: [Case] {
        [
            Case("range.limitAndMore") { harness in
                let store = try await harness.makeStore()
                for key in ["a", "b", "c", "d", "e"] { try await store.put(key, key) }
                let all = RangeRequest(key: b("a"), rangeEnd: b("z"))
                var limited = all
                limited.limit = 2
                let two = try await store.range(limited)
                try checkEqual(keys(two.kvs), ["a", "b"], "limit 2")
                try checkEqual(two.more, true, "more with limit 2")
                try checkEqual(two.count, 5, "count ignores limit")
                limited.limit = 5
                try checkEqual(try await store.range(limited).more, false, "more with limit = count")
                let unlimited = try await store.range(all)
                try checkEqual(unlimited.kvs.count, 5, "limit 0")
                try checkEqual(unlimited.more, false, "more without limit")
            },
            Case("range.countBeforeFilters") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")
                try await store.put("b", "1")
                let response = try await store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), maxCreateRevision: 1))
                try checkEqual(response.kvs.count, 0, "max_create_revision filters every key")
                try checkEqual(response.count, 2, "count before filters")
            },
            Case("range.revisionFilters") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")  // a: create 2
                try await store.put("b", "1")  // b: create 3
                try await store.put("c", "1")  // c: create 4
                try await store.put("a", "2")  // a: mod 5
                let all = RangeRequest(key: b("a"), rangeEnd: b("z"))
                func filtered(_ change: (inout RangeRequest) -> Void) async throws -> [String] {
                    var request = all
                    change(&request)
                    return keys(try await store.range(request).kvs)
                }
                try checkEqual(try await filtered { $0.minModRevision = 4 }, ["a", "c"], "min_mod_revision 4")
                try checkEqual(try await filtered { $0.maxModRevision = 4 }, ["b", "c"], "max_mod_revision 4")
                try checkEqual(try await filtered { $0.minCreateRevision = 3 }, ["b", "c"], "min_create_revision 3")
                try checkEqual(try await filtered { $0.maxCreateRevision = 3 }, ["a", "b"], "max_create_revision 3")
                try checkEqual(try await filtered { $0.minModRevision = 3; $0.maxCreateRevision = 3 }, ["a", "b"], "combined")
            },
            Case("range.keysOnlyAndCountOnly") { harness in
                let store = try await harness.makeStore()
                for key in ["a", "b", "c"] { try await store.put(key, "value") }
                let keysOnly = try await store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), keysOnly: true))
                try checkEqual(keys(keysOnly.kvs), ["a", "b", "c"], "keys-only keys")
                try check(keysOnly.kvs.allSatisfy { $0.value.isEmpty && $0.version == 1 && $0.createRevision > 0 },
                          "keys-only drops values and keeps the rest: \(keysOnly.kvs)")
                let countOnly = try await store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), countOnly: true))
                try checkEqual(countOnly.kvs.count, 0, "count-only kvs")
                try checkEqual(countOnly.count, 3, "count-only count")
                let serializable = try await store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), serializable: true))
                try checkEqual(serializable.kvs.count, 3, "serializable read")
            },
            Case("range.sortTargetsAndOrders") { harness in
                let store = try await harness.makeStore()
                // a: create 3, mod 7, version 2, value "3"; b: create 4, mod 4, version 1, value "1";
                // c: create 2, mod 6, version 3, value "2".
                for (key, value) in [("c", "2"), ("a", "3"), ("b", "1"), ("c", "2"), ("c", "2"), ("a", "3")] {
                    try await store.put(key, value)
                }
                let expectations: [(SortTarget, SortOrder, [String])] = [
                    (.key, .none, ["a", "b", "c"]), (.key, .ascend, ["a", "b", "c"]), (.key, .descend, ["c", "b", "a"]),
                    (.version, .ascend, ["b", "a", "c"]), (.version, .descend, ["c", "a", "b"]), (.version, .none, ["b", "a", "c"]),
                    (.create, .ascend, ["c", "a", "b"]), (.create, .descend, ["b", "a", "c"]), (.create, .none, ["c", "a", "b"]),
                    (.mod, .ascend, ["b", "c", "a"]), (.mod, .descend, ["a", "c", "b"]), (.mod, .none, ["b", "c", "a"]),
                    (.value, .ascend, ["b", "c", "a"]), (.value, .descend, ["a", "c", "b"]), (.value, .none, ["b", "c", "a"]),
                ]
                for (target, order, expected) in expectations {
                    let response = try await store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), sortOrder: order, sortTarget: target))
                    try checkEqual(keys(response.kvs), expected, "sort by \(target) \(order)")
                }
            },
            Case("range.sortBeforeLimit") { harness in
                let store = try await harness.makeStore()
                for key in ["a", "b", "c"] { try await store.put(key, key) }
                let response = try await store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), limit: 1,
                                                                  sortOrder: .descend, sortTarget: .mod))
                try checkEqual(keys(response.kvs), ["c"], "newest key first, then limit")
                try checkEqual(response.more, true, "more")
                try checkEqual(response.count, 3, "count")
            },
        ]
    }
}
