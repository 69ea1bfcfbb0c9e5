import FlotillaStore

extension StoreConformance {
    /// Compaction: what stays readable and the errors.
    static var compactionCases: [Case] {
        [
            Case("compaction.reads") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")  // 2
                try await store.put("a", "2")  // 3
                try await store.put("b", "1")  // 4
                try await store.put("a", "3")  // 5
                _ = try await store.compact(CompactionRequest(revision: 3))
                try await checkThrows(.compacted(compactRevision: 3), "read below the compaction revision") {
                    try await store.range(RangeRequest(key: b("a"), revision: 2))
                }
                try checkEqual(try await store.get("a", revision: 3)?.value, b("2"), "read at the compaction revision")
                try checkEqual(try await store.get("b", revision: 3), nil, "b did not exist yet")
                try checkEqual(try await store.get("a", revision: 4)?.value, b("2"), "a at 4")
                try checkEqual(try await store.get("b", revision: 4)?.value, b("1"), "b at 4")
                try checkEqual(try await store.get("a")?.value, b("3"), "current")
                try checkEqual(try await store.get("a")?.version, 3, "version survives compaction")
                try checkEqual(try await store.get("a")?.createRevision, 2, "create revision survives compaction")
            },
            Case("compaction.errors") { harness in
                let store = try await harness.makeStore()
                for value in ["1", "2", "3"] { try await store.put("a", value) }
                try await checkThrows(.futureRevision, "compact beyond the current revision") {
                    try await store.compact(CompactionRequest(revision: 5))
                }
                let header = try await store.compact(CompactionRequest(revision: 3))
                try checkEqual(header.revision, 4, "compaction header")
                try await checkThrows(.compacted(compactRevision: 3), "compact at the compaction revision") {
                    try await store.compact(CompactionRequest(revision: 3))
                }
                try await checkThrows(.compacted(compactRevision: 3), "compact below the compaction revision") {
                    try await store.compact(CompactionRequest(revision: 2))
                }
                _ = try await store.compact(CompactionRequest(revision: 4, physical: true))
                try checkEqual(try await store.get("a", revision: 4)?.value, b("3"), "read at the current revision after compacting at it")
            },
            Case("compaction.deletedKeys") { harness in
                let store = try await harness.makeStore()
                try await store.put("a", "1")  // 2
                _ = try await store.deleteRange(DeleteRangeRequest(key: b("a")))  // 3
                try await store.put("b", "1")  // 4
                _ = try await store.compact(CompactionRequest(revision: 3))
                try checkEqual(try await store.get("a", revision: 3), nil, "deleted key at the compaction revision")
                try checkEqual(try await store.get("a"), nil, "deleted key now")
                try await store.put("a", "2")
                try checkEqual(try await store.get("a")?.version, 1, "recreated key")
                try checkEqual(try await store.range(RangeRequest(key: [0], rangeEnd: [0])).count, 2, "two keys")
            },
        ]
    }
}
