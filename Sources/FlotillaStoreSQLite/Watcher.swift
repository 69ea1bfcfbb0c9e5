import FlotillaStore
import Synchronization

/// One watch: filters the hub's committed revisions to its key range and event kinds and
/// yields them to its stream.
///
/// Replay switch-over: the watcher is registered with the hub BEFORE history is read, so every
/// revision is either in the history snapshot or published to it afterwards (or both). While
/// replaying, published revisions are parked in `parked`; ``finishReplay(_:through:)`` yields
/// history, then the parked revisions, skipping every revision below `nextRevision` — no gaps,
/// no duplicates.
///
/// Slow consumers: each stream buffers at most ``bufferLimit`` responses. Writers never wait
/// for a consumer; when the buffer is full the watch ends, after the buffered responses, with
/// a `resourceExhausted` ``StoreError`` naming the first revision it could not deliver, from
/// which the consumer can watch again.
final class Watcher: Sendable {
    /// Responses buffered per watch before it is ended as too slow.
    static let bufferLimit = 10_000
    /// Events per replayed response (a revision's events are never split).
    static let replayBatch = 1_000

    private struct State {
        var replaying: Bool
        var parked: [WatchResponse] = []
        var nextRevision: Int64
        var ended = false
    }

    /// The hub's key for this watch.
    let id: Int
    let request: WatchCreateRequest
    let continuation: AsyncThrowingStream<WatchResponse, any Error>.Continuation
    private let state: Mutex<State>

    init(id: Int, request: WatchCreateRequest, nextRevision: Int64, replaying: Bool,
         continuation: AsyncThrowingStream<WatchResponse, any Error>.Continuation) {
        self.id = id
        self.request = request
        self.continuation = continuation
        self.state = Mutex(State(replaying: replaying, nextRevision: nextRevision))
    }

    /// Takes committed revisions (in order), with the lowest and highest key of each (a
    /// revision entirely outside this watch's range is passed over without looking at its
    /// events). Returns an error when the watch must end (the caller finishes it outside the
    /// hub's lock).
    func deliver(_ revisions: [(revision: Int64, events: [Event])], bounds: [KeyBounds]) -> (any Error)? {
        var responses: [WatchResponse] = []
        for ((revision, events), bound) in zip(revisions, bounds) {
            guard bound.overlaps(key: request.key, rangeEnd: request.rangeEnd) else { continue }
            let kept = events.compactMap(shaped)
            if !kept.isEmpty { responses.append(WatchResponse(header: ResponseHeader(revision: revision), events: kept)) }
        }
        if responses.isEmpty { return nil }
        return state.withLock { state in
            if state.replaying {
                state.parked += responses
                return state.parked.count > Self.bufferLimit ? overflow(state.nextRevision) : nil
            }
            return yield(responses, state: &state)
        }
    }

    /// Yields a progress notification at `revision` (after the replay when one is running).
    func progress(_ revision: Int64) -> (any Error)? {
        let response = WatchResponse(header: ResponseHeader(revision: revision), events: [])
        return state.withLock { state in
            if state.replaying {
                state.parked.append(response)
                return nil
            }
            return yield([response], state: &state)
        }
    }

    /// Yields history events (revisions `nextRevision...through`), then the parked live
    /// revisions, and goes live.
    func finishReplay(_ history: [Event], through: Int64) -> (any Error)? {
        state.withLock { state in
            var batches: [WatchResponse] = []
            var current: [Event] = []
            for event in history {
                guard event.kv.modRevision >= state.nextRevision, let kept = shaped(event) else { continue }
                if current.count >= Self.replayBatch, current.last?.kv.modRevision != kept.kv.modRevision {
                    batches.append(WatchResponse(header: ResponseHeader(revision: through), events: current))
                    current = []
                }
                current.append(kept)
            }
            if !current.isEmpty { batches.append(WatchResponse(header: ResponseHeader(revision: through), events: current)) }
            state.replaying = false
            let parked = state.parked
            state.parked = []
            if let error = yield(batches, state: &state) { return error }
            state.nextRevision = max(state.nextRevision, through + 1)
            return yield(parked, state: &state)
        }
    }

    /// Yields responses, skipping events of revisions already delivered.
    private func yield(_ responses: [WatchResponse], state: inout State) -> (any Error)? {
        if state.ended { return nil }
        for var response in responses {
            if !response.events.isEmpty {
                response.events.removeAll { $0.kv.modRevision < state.nextRevision }
                guard let last = response.events.last else { continue }
                if case .dropped = continuation.yield(response) {
                    state.ended = true
                    return overflow(response.events[0].kv.modRevision)
                }
                state.nextRevision = last.kv.modRevision + 1
            } else if case .dropped = continuation.yield(response) {
                state.ended = true
                return overflow(state.nextRevision)
            }
        }
        return nil
    }

    private func overflow(_ revision: Int64) -> any Error {
        StoreError(.resourceExhausted, "flotilla: watch consumer fell \(Self.bufferLimit) responses behind; watch again from revision \(revision)")
    }

    /// The event as this watch delivers it, or nil when out of range or filtered out.
    private func shaped(_ event: Event) -> Event? {
        guard KeyRange.contains(event.kv.key, key: request.key, rangeEnd: request.rangeEnd) else { return nil }
        switch event.type {
        case .put where request.filters.contains(.noPut): return nil
        case .delete where request.filters.contains(.noDelete): return nil
        default: break
        }
        if request.prevKV { return event }
        return Event(type: event.type, kv: event.kv, prevKV: nil)
    }
}

/// The lowest and highest key among the events of one revision.
struct KeyBounds {
    private var lowest: Bytes?
    private var highest: Bytes?

    init(_ events: [Event]) {
        for event in events {
            let key = event.kv.key
            if lowest.map({ key.sortsBefore($0) }) ?? true { lowest = key }
            if highest.map({ $0.sortsBefore(key) }) ?? true { highest = key }
        }
    }

    /// False when no event key can lie in the range (`key`, `rangeEnd`); always false for a
    /// revision without events.
    func overlaps(key: Bytes, rangeEnd: Bytes) -> Bool {
        guard let lowest, let highest else { return false }
        return KeyRange.overlaps(lowest: lowest, highest: highest, key: key, rangeEnd: rangeEnd)
    }
}
