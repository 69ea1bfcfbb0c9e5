import FlotillaStore
import Synchronization

/// Fans committed revisions out to watchers in memory, without polling: the writer calls
/// ``publish(_:)`` after each commit, in revision order, before acknowledging the writes.
/// Watchers are registered before their history is read (see ``Watcher``); cancelling or
/// ending a stream unregisters it.
final class WatchHub: Sendable {
    private struct State {
        var watchers: [Int: Watcher] = [:]
        var published: Int64
        var nextID = 0
        var closed = false
    }

    private let state: Mutex<State>

    /// A hub whose last published revision is `revision` (the store revision at open).
    init(revision: Int64) {
        state = Mutex(State(published: revision))
    }

    /// Registered watchers.
    var count: Int { state.withLock { $0.watchers.count } }

    /// The last revision handed to watchers.
    var published: Int64 { state.withLock { $0.published } }

    /// Registers a watch. With `startRevision` 0 it goes live at once from the last published
    /// revision + 1; otherwise it parks live revisions until ``Watcher/finishReplay(_:through:)``.
    /// Returns nil when the hub is closed.
    func register(_ request: WatchCreateRequest,
                  continuation: AsyncThrowingStream<WatchResponse, any Error>.Continuation) -> Watcher? {
        state.withLock { state in
            if state.closed { return nil }
            let replaying = request.startRevision > 0
            let next = replaying ? request.startRevision : state.published + 1
            let watcher = Watcher(id: state.nextID, request: request, nextRevision: next,
                                  replaying: replaying, continuation: continuation)
            state.nextID += 1
            state.watchers[watcher.id] = watcher
            return watcher
        }
    }

    /// Unregisters a watch (idempotent).
    func remove(_ id: Int) {
        state.withLock { $0.watchers[id] = nil }
    }

    /// Hands committed revisions (in revision order) to every watcher.
    func publish(_ revisions: [(revision: Int64, events: [Event])]) {
        let ended = state.withLock { state -> [(Watcher, any Error)] in
            guard let last = revisions.last else { return [] }
            state.published = max(state.published, last.revision)
            let bounds = revisions.map { KeyBounds($0.events) }
            return state.watchers.values.compactMap { watcher in watcher.deliver(revisions, bounds: bounds).map { (watcher, $0) } }
        }
        for (watcher, error) in ended { watcher.continuation.finish(throwing: error) }
    }

    /// Sends `watcher` a progress notification at the last published revision.
    func requestProgress(_ watcher: Watcher) {
        let error = state.withLock { state -> (any Error)? in
            guard state.watchers[watcher.id] != nil else { return nil }
            return watcher.progress(state.published)
        }
        if let error { watcher.continuation.finish(throwing: error) }
    }

    /// Ends every watch with `error` and refuses new ones.
    func close(_ error: any Error) {
        let watchers = state.withLock { state -> [Watcher] in
            state.closed = true
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.continuation.finish(throwing: error) }
    }
}
