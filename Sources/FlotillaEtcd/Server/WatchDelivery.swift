import FlotillaStore
import Synchronization

/// How the responses of the watches of one Watch stream reach its response queue: fragmented
/// for watches created with `fragment`, and with periodic progress notifications for watches
/// created with `progress_notify`.
///
/// Progress, as etcd 3.4 does it: every ``interval`` (plus up to a tenth at random), each
/// progress watch that delivered no events since the last tick asks its store stream for a
/// progress notification. The store yields it in order with the watch's events, after any
/// history replay still running, so it is sent only once the watch has caught up; it goes
/// out as an empty response with the watch's ID and the revision delivered up to. One timer
/// per stream, started by the first progress watch.
final class WatchDelivery: Sendable {
    private struct Watch {
        let fragment: Bool
        let progressNotify: Bool
        var stream: WatchStream?
        var idle = true
        var lastEventRevision: Int64 = 0
    }
    private struct State {
        var watches: [Int64: Watch] = [:]
        var timerStarted = false
        var closed = false
    }

    /// Time between progress checks.
    let interval: Duration
    private let stamp: HeaderStamp
    private let queue: WatchQueue
    private let state = Mutex(State())
    /// Where the timer runs: a child of the Watch stream's task.
    private let children: ChildTasks

    init(stamp: HeaderStamp, queue: WatchQueue, children: ChildTasks, interval: Duration) {
        self.stamp = stamp
        self.queue = queue
        self.children = children
        self.interval = interval
    }

    /// Registers a watch created with these options.
    func add(_ id: Int64, fragment: Bool, progressNotify: Bool) {
        let startTimer = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.watches[id] = Watch(fragment: fragment, progressNotify: progressNotify)
            guard progressNotify && !state.timerStarted else { return false }
            state.timerStarted = true
            return true
        }
        guard startTimer else { return }
        children.spawn { [weak self, interval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval + interval / 10 * Double.random(in: 0..<1))
                guard let self, !Task.isCancelled else { return }
                self.tick()
            }
        }
    }

    /// Records the store stream of a registered watch (progress is requested through it).
    func attach(_ id: Int64, _ stream: WatchStream) {
        state.withLock { $0.watches[id]?.stream = stream }
    }

    /// Forgets a watch (idempotent).
    func remove(_ id: Int64) {
        _ = state.withLock { $0.watches.removeValue(forKey: id) }
    }

    /// Queues a store response of watch `id`: events (in fragments when the watch asked for
    /// them), or a progress notification.
    func send(_ batch: WatchResponse, id: Int64) {
        var batch = batch
        let fragment = state.withLock { state -> Bool in
            guard var watch = state.watches[id] else { return false }
            if let last = batch.events.last {
                watch.idle = false
                watch.lastEventRevision = max(watch.lastEventRevision, last.kv.modRevision)
            } else {
                // Never report less than what this watch has already delivered.
                batch.header.revision = max(batch.header.revision, watch.lastEventRevision)
            }
            state.watches[id] = watch
            return watch.fragment
        }
        let response = Etcdserverpb_WatchResponse(batch, watchID: id, stamp: stamp)
        if fragment && batch.events.count > 1 {
            for piece in WatchFragments.split(response, limit: WatchFragments.limit) { queue.yield(piece) }
        } else {
            queue.yield(response)
        }
    }

    /// Forgets every watch; later ``add(_:fragment:progressNotify:)`` calls are ignored (the
    /// timer ends with the stream's child tasks).
    func close() {
        state.withLock { state in
            state.closed = true
            state.watches = [:]
        }
    }

    /// One progress check: idle progress watches ask for a notification; all become idle.
    private func tick() {
        let due = state.withLock { state -> [WatchStream] in
            var due: [WatchStream] = []
            for (id, watch) in state.watches where watch.progressNotify {
                if watch.idle, let stream = watch.stream { due.append(stream) }
                state.watches[id]?.idle = true
            }
            return due
        }
        for stream in due { stream.requestProgress() }
    }
}
