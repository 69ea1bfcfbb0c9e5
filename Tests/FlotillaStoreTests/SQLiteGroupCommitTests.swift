import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import Testing

@Suite("SQLite store group commit")
struct SQLiteGroupCommitTests {
    @Test("100 concurrent writers: every acknowledged write is readable, revisions unique and gap-free")
    func concurrentWriters() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            let writers = 100, perWriter = 20
            let acks = try await withThrowingTaskGroup(of: [(String, Int64)].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var acks: [(String, Int64)] = []
                        for index in 0..<perWriter {
                            let key = "w\(writer)/\(index)"
                            acks.append((key, try await store.put(key, "\(writer)-\(index)")))
                        }
                        return acks
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let revisions = acks.map(\.1).sorted()
            #expect(revisions == Array(2...Int64(1 + writers * perWriter)))
            #expect(try await store.status().header.revision == Int64(1 + writers * perWriter))
            for (key, revision) in acks {
                let kv = try #require(try await store.range(RangeRequest(key: Bytes(utf8: key))).kvs.first)
                #expect(kv.modRevision == revision)
                #expect(kv.createRevision == revision)
                #expect(kv.version == 1)
            }
        }
    }

    @Test("a failing request in a batch fails alone")
    func failureIsolation() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            let results = await withTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        // Odd requests name an unknown lease and must fail without a revision.
                        let request = PutRequest(key: Bytes(utf8: "k\(index)"), value: [1], lease: index % 2 == 1 ? 999 : 0)
                        do {
                            _ = try await store.put(request)
                            return (index, true)
                        } catch let error as StoreError {
                            return (index, error == .leaseNotFound ? false : true)
                        } catch { return (index, true) }
                    }
                }
                return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            for index in 0..<50 { #expect(results[index] == (index % 2 == 0)) }
            let all = try await store.range(.prefix(Bytes(utf8: "k")))
            #expect(all.count == 25)
            #expect(all.header.revision == 26)
        }
    }

    @Test("throughput with 1 and 100 writers (debug build; printed)")
    func throughput() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            let single = 300
            var start = ContinuousClock.now
            for index in 0..<single { try await store.put("s/\(index)", "value") }
            let singleRate = Double(single) / (ContinuousClock.now - start).seconds
            let writers = 100, perWriter = 30
            start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<perWriter { try await store.put("m/\(writer)/\(index)", "value") }
                    }
                }
                try await group.waitForAll()
            }
            let multiRate = Double(writers * perWriter) / (ContinuousClock.now - start).seconds
            print("SQLiteStore puts/s (debug build, synchronous=FULL): 1 writer \(Int(singleRate)), 100 writers \(Int(multiRate))")
            #expect(singleRate > 0 && multiRate > 0)
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
