import GRPCCore
import Metrics
import Synchronization

/// The responses of one Watch stream waiting for its writer, bounded in bytes while the client
/// reads nothing. A client that stops reading stops HTTP/2 flow control, the writer waits, and
/// responses pile up here; once more than ``limit`` bytes wait and the writer has handed
/// nothing to the connection for ``stallAfter``, the stream is given up: ``overflowed``
/// fires, the stream's watches are cancelled and the call ends with etcd's
/// `Canceled "etcdserver: watch canceled"` (``stalledError``), instead of buffering every
/// later change for good. A client that reads, however slowly, keeps its stream (a large
/// history replay may wait here whole).
final class WatchQueue: Sendable {
    /// etcd's error for a watch stream the server ended.
    static let stalledError = RPCError(code: .cancelled, message: "etcdserver: watch canceled")

    /// Bytes that may wait for a client that reads nothing (an estimate: keys, values and a
    /// fixed overhead per event).
    let limit: Int
    /// How long the writer must have made no progress before a full queue ends the stream.
    let stallAfter: Duration
    /// The responses, in order, for the writer.
    let responses: AsyncStream<Etcdserverpb_WatchResponse>
    /// Yields once, when the stream is given up.
    let overflowed: AsyncStream<Void>

    private struct State {
        var bytes = 0
        var over = false
        /// When the writer last handed a response to the connection, or the queue last
        /// filled from empty.
        var progress: ContinuousClock.Instant
    }

    private let continuation: AsyncStream<Etcdserverpb_WatchResponse>.Continuation
    private let overflow: AsyncStream<Void>.Continuation
    private let state: Mutex<State>
    /// The time (an input, so tests need not wait).
    private let now: @Sendable () -> ContinuousClock.Instant

    init(limit: Int, stallAfter: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.limit = limit
        self.stallAfter = stallAfter
        self.now = now
        state = Mutex(State(progress: now()))
        (responses, continuation) = AsyncStream.makeStream()
        (overflowed, overflow) = AsyncStream.makeStream()
    }

    /// Queues `response` for the writer, unless the stream is given up (see the type).
    func yield(_ response: Etcdserverpb_WatchResponse) {
        let size = Self.size(of: response)
        let now = now()
        let first = state.withLock { state -> Bool? in
            if state.over { return nil }
            // An empty queue means the writer is keeping up: the stall clock starts now, not at
            // the last response it sent (perhaps hours ago, when nothing changed since).
            if state.bytes == 0 { state.progress = now }
            state.bytes += size
            guard state.bytes > limit, now - state.progress >= stallAfter else { return false }
            state.over = true
            return true
        }
        switch first {
        case false?: continuation.yield(response)
        case true?:
            overflow.yield()
            overflow.finish()
            continuation.finish()
        case nil: break
        }
    }

    /// Whether the stream has been given up.
    var givenUp: Bool { state.withLock { $0.over } }

    /// Records that the writer has handed `response` to the connection.
    func sent(_ response: Etcdserverpb_WatchResponse) {
        let size = Self.size(of: response)
        let now = now()
        state.withLock { state in
            state.bytes -= size
            state.progress = now
        }
    }

    /// Ends the queue (the stream is closing); the writer stops after what is queued.
    func finish() {
        continuation.finish()
        overflow.finish()
    }

    /// The bytes a response is counted as.
    static func size(of response: Etcdserverpb_WatchResponse) -> Int {
        response.events.reduce(64) { total, event in
            total + 32 + event.kv.key.count + event.kv.value.count + event.prevKv.key.count + event.prevKv.value.count
        }
    }
}

/// How many Watch streams a server has cut off because their client stopped reading (also
/// counted in `flotilla_store_stalled_watch_streams`).
final class StalledWatchCount: Sendable {
    private let count = Atomic(0)

    /// One more stream cut off.
    func add() {
        count.add(1, ordering: .relaxed)
        Counter(label: "flotilla_store_stalled_watch_streams").increment()
    }

    /// Streams cut off so far.
    var value: Int { count.load(ordering: .relaxed) }
}
