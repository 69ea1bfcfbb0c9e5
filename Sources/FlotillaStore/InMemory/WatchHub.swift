import Synchronization

/// The live watches of an ``InMemoryStore``. It sits behind a `Mutex` rather than inside the
/// actor so that a stream's `onTermination` (synchronous) can unregister its watch at once:
/// cancelling, dropping the iterator or cancelling the consuming task leaves nothing behind.
///
/// Ordering contract: the store publishes each revision's events under the lock, in revision
/// order, and yields to each continuation under the same lock, so a progress notification
/// never overtakes events of a revision it reports.
final class WatchHub: Sendable {
    /// One registered watch.
    struct Watcher: Sendable {
        var request: WatchCreateRequest
        /// Events below this revision are not delivered (start revision in the future).
        var firstRevision: Int64
        var continuation: AsyncThrowingStream<WatchResponse, any Error>.Continuation
    }

    private struct State: ~Copyable {
        var watchers: [UInt64: Watcher] = [:]
        var nextID: UInt64 = 0
        var revision: Int64 = 1
    }

    private let state = Mutex(State())

    /// Number of registered watches.
    var count: Int { state.withLock { $0.watchers.count } }

    /// Registers a watch and yields `replay` (already filtered to revisions ≥ the start) to it
    /// in one response headed with the current revision.
    func register(_ request: WatchCreateRequest, firstRevision: Int64, replay: [Event], compactRevision: Int64,
                  continuation: AsyncThrowingStream<WatchResponse, any Error>.Continuation) -> UInt64 {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            let watcher = Watcher(request: request, firstRevision: firstRevision, continuation: continuation)
            state.watchers[id] = watcher
            let events = Self.selected(replay, for: watcher, compactRevision: compactRevision)
            if !events.isEmpty {
                continuation.yield(WatchResponse(header: ResponseHeader(revision: state.revision), events: events))
            }
            return id
        }
    }

    /// Records the store's new revision and delivers its events to every matching watch.
    func publish(_ events: [Event], revision: Int64) {
        state.withLock { state in
            state.revision = revision
            guard !events.isEmpty else { return }
            for watcher in state.watchers.values {
                let selected = Self.selected(events, for: watcher, compactRevision: 0)
                if !selected.isEmpty {
                    watcher.continuation.yield(WatchResponse(header: ResponseHeader(revision: revision), events: selected))
                }
            }
        }
    }

    /// Yields a progress notification (no events, the current revision) to one watch.
    func requestProgress(_ id: UInt64) {
        state.withLock { state in
            state.watchers[id]?.continuation.yield(WatchResponse(header: ResponseHeader(revision: state.revision), events: []))
        }
    }

    /// Unregisters a watch and finishes its stream (outside the lock: finishing runs
    /// `onTermination`, which calls back here).
    func cancel(_ id: UInt64) {
        let removed = state.withLock { $0.watchers.removeValue(forKey: id) }
        removed?.continuation.finish()
    }

    /// Finishes every stream with `error` (store shut down).
    func finishAll(throwing error: any Error) {
        let all = state.withLock { state in
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in all { watcher.continuation.finish(throwing: error) }
    }

    private static func selected(_ events: [Event], for watcher: Watcher, compactRevision: Int64) -> [Event] {
        let request = watcher.request
        return events.compactMap { event in
            guard event.kv.modRevision >= watcher.firstRevision,
                  KeyRange.contains(event.kv.key, key: request.key, rangeEnd: request.rangeEnd) else { return nil }
            if event.type == .put && request.filters.contains(.noPut) { return nil }
            if event.type == .delete && request.filters.contains(.noDelete) { return nil }
            var delivered = event
            if !request.prevKV || event.kv.modRevision <= compactRevision { delivered.prevKV = nil }
            return delivered
        }
    }
}
