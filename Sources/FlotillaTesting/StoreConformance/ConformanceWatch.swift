import FlotillaStore

extension StoreConformance {
    /// Watches: live events, replay, ordering, prev_kv, filters, compaction, progress, cancel.
    static var watchCases: [Case] {
        [
            Case("watch.liveEvents") { harness in
                let store = try await harness.makeStore()
                let watch = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a")))
                try await store.put("a", "1")
                try await store.put("other", "1")
                _ = try await store.deleteRange(DeleteRangeRequest(key: b("a")))
                let responses = try await watch.waitForEvents(2)
                await watch.stop()
                let events = responses.flatMap(\.events)
                try checkEqual(events.count, 2, "events for a only")
                try checkEqual(events[0], Event(type: .put, kv: KeyValue(key: b("a"), createRevision: 2, modRevision: 2, version: 1, value: b("1"))), "put event")
                try checkEqual(events[1], Event(type: .delete, kv: KeyValue(key: b("a"), modRevision: 4)), "delete event carries key and mod revision only")
                try checkEqual(responses.first?.header.revision, 2, "header of the first response")
            },
            Case("watch.replayFromStartRevision") { harness in
                let store = try await harness.makeStore()
                for value in ["1", "2", "3"] { try await store.put("a", value) }
                try await store.put("b", "1")
                let watch = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a"), startRevision: 3))
                let responses = try await watch.waitForEvents(2)
                try checkEqual(responses.count, 1, "replay arrives in one response")
                try checkEqual(responses[0].events.map(\.kv.modRevision), [3, 4], "replay from the start revision, inclusive")
                try checkEqual(responses[0].header.revision, 5, "replay header is the current revision")
                try await store.put("a", "4")
                let more = try await watch.waitForEvents(3)
                await watch.stop()
                try checkEqual(more.last?.events.map(\.kv.modRevision), [6], "then live events")
            },
            Case("watch.oneResponsePerRevision") { harness in
                let store = try await harness.makeStore()
                let watch = try await WatchRecorder.start(store, .init(key: b("k/"), rangeEnd: KeyRange.prefixEnd(b("k/"))))
                _ = try await store.txn(TxnRequest(success: [.put(PutRequest(key: b("k/1"), value: b("x"))),
                                                             .put(PutRequest(key: b("k/2"), value: b("x")))]))
                try await store.put("k/3", "x")
                let responses = try await watch.waitForEvents(3)
                await watch.stop()
                try checkEqual(responses.map { $0.events.map(\.kv.key.utf8String) }, [["k/1", "k/2"], ["k/3"]], "events grouped by revision")
                try checkEqual(responses.map(\.header.revision), [2, 3], "headers")
            },
            Case("watch.prevKV") { harness in
                let store = try await harness.makeStore()
                let watch = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a"), prevKV: true))
                try await store.put("a", "1")
                try await store.put("a", "2")
                _ = try await store.deleteRange(DeleteRangeRequest(key: b("a")))
                let events = try await watch.waitForEvents(3).flatMap(\.events)
                await watch.stop()
                try checkEqual(events[0].prevKV, nil, "no prev_kv on creation")
                try checkEqual(events[1].prevKV?.value, b("1"), "prev_kv on update")
                try checkEqual(events[2].prevKV?.value, b("2"), "prev_kv on delete")
                try checkEqual(events[2].prevKV?.modRevision, 3, "prev_kv revision on delete")
            },
            Case("watch.filters") { harness in
                let store = try await harness.makeStore()
                let noPut = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a"), filters: [.noPut]))
                let noDelete = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a"), filters: [.noDelete]))
                try await store.put("a", "1")
                _ = try await store.deleteRange(DeleteRangeRequest(key: b("a")))
                try await store.put("a", "2")
                let deletes = try await noPut.waitForEvents(1).flatMap(\.events)
                let puts = try await noDelete.waitForEvents(2).flatMap(\.events)
                await noPut.stop()
                await noDelete.stop()
                try checkEqual(deletes.map(\.type), [.delete], "no-put filter")
                try checkEqual(puts.map(\.type), [.put, .put], "no-delete filter")
            },
            Case("watch.compactedStartRevision") { harness in
                let store = try await harness.makeStore()
                for value in ["1", "2", "3"] { try await store.put("a", value) }
                _ = try await store.compact(CompactionRequest(revision: 3))
                let stale = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a"), startRevision: 2))
                try await stale.waitForEnd()
                let failure = await stale.failure
                guard let error = failure as? StoreError else { throw ConformanceFailure("expected compacted error, got \(String(describing: failure))") }
                try checkEqual(error, StoreError.compacted(compactRevision: 3), "compacted start revision")
                let exact = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a"), startRevision: 3))
                let events = try await exact.waitForEvents(2).flatMap(\.events)
                await exact.stop()
                try checkEqual(events.map(\.kv.modRevision), [3, 4], "start at the compaction revision replays")
            },
            Case("watch.futureStartRevision") { harness in
                let store = try await harness.makeStore()
                let watch = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a"), startRevision: 3))
                try await store.put("a", "1")
                try await store.put("a", "2")
                let events = try await watch.waitForEvents(1).flatMap(\.events)
                try await Task.sleep(for: .milliseconds(50))
                await watch.stop()
                try checkEqual(events.map(\.kv.modRevision), [3], "only revisions from the start revision")
            },
            Case("watch.progressRequest") { harness in
                let store = try await harness.makeStore()
                try await store.put("x", "1")
                let watch = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a")))
                watch.stream.requestProgress()
                try await watch.waitUntil(timeout: .seconds(5), "a progress notification") { !$0.responses.isEmpty }
                let responses = await watch.responses
                await watch.stop()
                try checkEqual(responses.first?.events, [], "progress has no events")
                try checkEqual(responses.first?.header.revision, 2, "progress revision")
            },
            Case("watch.cancelEndsStream") { harness in
                let store = try await harness.makeStore()
                let watch = try await WatchRecorder.start(store, WatchCreateRequest(key: b("a")))
                watch.stream.cancel()
                try await watch.waitForEnd()
                try checkEqual(await watch.failure == nil, true, "cancel ends the stream without an error")
                try await store.put("a", "1")
                try checkEqual(await watch.events.count, 0, "no events after cancel")
            },
            Case("watch.manyWatchers") { harness in
                let store = try await harness.makeStore()
                var watches: [WatchRecorder] = []
                for _ in 0..<50 { watches.append(try await WatchRecorder.start(store, WatchCreateRequest(key: b("a")))) }
                try await store.put("a", "1")
                for watch in watches {
                    try checkEqual(try await watch.waitForEvents(1).flatMap(\.events).map(\.kv.modRevision), [2], "every watcher sees the put")
                    await watch.stop()
                }
            },
        ]
    }
}
