import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import Testing

@Suite("SQLite store watch hub")
struct SQLiteWatchTests {
    @Test("replay switches to live events without gaps or duplicates under concurrent writes")
    func replaySwitchOver() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            for index in 0..<100 { try await store.put("w/\(index % 7)", "\(index)") }
            let total = 400
            let writes = Task {
                for index in 100..<total { try await store.put("w/\(index % 7)", "\(index)") }
            }
            try await Task.sleep(for: .milliseconds(20))
            let stream = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "w/"), rangeEnd: KeyRange.prefixEnd(Bytes(utf8: "w/")), startRevision: 2, prevKV: true))
            var seen: [Int64] = []
            for try await response in stream {
                for event in response.events {
                    seen.append(event.kv.modRevision)
                    #expect(event.kv.value.utf8String == "\(event.kv.modRevision - 2)")
                    if event.kv.version > 1 { #expect(event.prevKV?.modRevision == event.kv.modRevision - 7) }
                }
                if seen.last == Int64(total + 1) { break }
            }
            try await writes.value
            stream.cancel()
            #expect(seen == Array(2...Int64(total + 1)))
        }
    }

    @Test("live watch filters by range and kind; a progress request answers the current revision")
    func liveAndProgress() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            let stream = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "a"), rangeEnd: Bytes(utf8: "c"), filters: [.noPut]))
            try await store.put("a1", "x")
            try await store.put("z", "x")
            _ = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: "a"), rangeEnd: Bytes(utf8: "c")))
            var iterator = stream.makeAsyncIterator()
            let deleted = try #require(try await iterator.next())
            #expect(deleted.events.map(\.type) == [.delete])
            #expect(deleted.events[0].kv == KeyValue(key: Bytes(utf8: "a1"), modRevision: 4))
            #expect(deleted.events[0].prevKV == nil)
            stream.requestProgress()
            let progress = try #require(try await iterator.next())
            #expect(progress.events.isEmpty && progress.header.revision == 4)
            stream.cancel()
        }
    }

    @Test("a compacted start revision ends the watch with the compacted error")
    func compactedStart() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            for index in 0..<5 { try await store.put("k", "\(index)") }
            _ = try await store.compact(CompactionRequest(revision: 4, physical: true))
            let stream = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "k"), startRevision: 3))
            await #expect(throws: StoreError.compacted(compactRevision: 4)) {
                for try await _ in stream {}
            }
            let atCompaction = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "k"), startRevision: 4))
            var iterator = atCompaction.makeAsyncIterator()
            let replayed = try #require(try await iterator.next())
            #expect(replayed.events.map(\.kv.modRevision) == [4, 5, 6])
            atCompaction.cancel()
        }
    }

    @Test("10,000 watches opened and dropped leave nothing registered")
    func noLeaks() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            try await store.put("x", "1")
            var streams: [WatchStream] = []
            for index in 0..<10_000 {
                streams.append(try await store.watch(WatchCreateRequest(key: Bytes(utf8: "x"), startRevision: index % 2 == 0 ? 0 : 2)))
            }
            #expect(store.activeWatchCount == 10_000)
            try await store.put("x", "2")
            for stream in streams { stream.cancel() }
            streams = []
            // Watches whose consuming task is cancelled unregister too.
            let consumers = (0..<100).map { _ in
                Task {
                    let stream = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "x")))
                    for try await _ in stream {}
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            for consumer in consumers { consumer.cancel() }
            for consumer in consumers { _ = await consumer.result }
            try await Task.sleep(for: .milliseconds(50))
            #expect(store.activeWatchCount == 0)
        }
    }
}
