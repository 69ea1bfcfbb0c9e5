import FlotillaStore
import GRPCCore
import Metrics
import Synchronization

/// etcd `Watch`: one bidirectional stream multiplexes many watches. Responses from all of them
/// go through one queue to the single writer; the stream ends when the client closes its side
/// or goes away, and every store watch it started is cancelled. A client that stops reading
/// while changes keep coming is cut off once ``queueLimit`` bytes wait for it and it has taken
/// nothing for ``stallAfter`` (``WatchQueue``).
struct WatchService: Etcdserverpb_Watch.SimpleServiceProtocol {
    let store: any KeyValueStore
    let stamp: HeaderStamp
    /// Time between progress notifications for `progress_notify` watches (see ``WatchDelivery``).
    var progressNotifyInterval: Duration = .seconds(600)
    /// Bytes of responses that may wait for one stream's client while it reads nothing, and
    /// for how long it may read nothing with that much waiting (``WatchQueue``).
    var queueLimit = WatchService.defaultQueueLimit
    var stallAfter = WatchService.defaultStallAfter
    /// Counts the streams cut off for not reading.
    var stalled: StalledWatchCount = StalledWatchCount()

    /// 64 MiB: tens of etcd's largest events, far more than a reading client ever has waiting.
    static let defaultQueueLimit = 64 << 20
    /// 30 s: a client that takes nothing for that long while 64 MiB wait is not coming back.
    static let defaultStallAfter: Duration = .seconds(30)

    /// `flotilla_store_watch_streams`: the Watch streams open now.
    static func openStreams() -> Meter { Meter(label: "flotilla_store_watch_streams") }

    func watch(request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>,
               response: RPCWriter<Etcdserverpb_WatchResponse>, context: ServerContext) async throws {
        let open = Self.openStreams()
        open.increment()
        defer { open.decrement() }
        let queue = WatchQueue(limit: queueLimit, stallAfter: stallAfter)
        let children = ChildTasks()
        let session = WatchSession(store: store, stamp: stamp, queue: queue, children: children,
                                   progressNotifyInterval: progressNotifyInterval)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await children.run() }   // the store watches and the progress timer
            group.addTask {
                do {
                    for await message in queue.responses {
                        try await response.write(message)
                        queue.sent(message)
                    }
                } catch {
                    session.close()   // the client went away: stop reading too
                }
            }
            group.addTask {
                for await _ in queue.overflowed {
                    stalled.add()
                    session.close()
                    throw WatchQueue.stalledError   // ends the call: the writer waiting on the client is cancelled
                }
            }
            group.addTask {
                do {
                    for try await message in request { await session.handle(message) }
                } catch {
                    // Garbage or a reset stream: end this stream only.
                }
                session.close()
            }
            // The first error (a stalled client) ends the call at once: leaving the group
            // cancels the writer waiting on the client and the reader.
            while try await group.next() != nil {}
        }
    }
}

/// The watches of one Watch stream: ID allocation (per stream, from 0, client-chosen IDs
/// honoured), the running store watches, and the response queue.
final class WatchSession: Sendable {
    private struct State {
        var nextID: Int64 = 0
        var watches: [Int64: Running] = [:]
        var closed = false
    }
    private struct Running {
        var stream: WatchStream?
    }

    private let store: any KeyValueStore
    private let stamp: HeaderStamp
    private let queue: WatchQueue
    private let state = Mutex(State())
    private let delivery: WatchDelivery
    /// Where each watch's store stream is followed (see ``WatchService/watch(request:response:context:)``).
    private let children: ChildTasks

    init(store: any KeyValueStore, stamp: HeaderStamp, queue: WatchQueue,
         children: ChildTasks, progressNotifyInterval: Duration = .seconds(600)) {
        self.store = store
        self.stamp = stamp
        self.queue = queue
        self.children = children
        self.delivery = WatchDelivery(stamp: stamp, queue: queue, children: children, interval: progressNotifyInterval)
    }

    /// Handles one client request.
    func handle(_ request: Etcdserverpb_WatchRequest) async {
        switch request.requestUnion {
        case .createRequest(let create): await self.create(create)
        case .cancelRequest(let cancel): self.cancel(cancel.watchID)
        case .progressRequest:
            guard let revision = try? await currentRevision(store) else { return }
            var reply = Etcdserverpb_WatchResponse()
            reply.header = stamp.header(revision); reply.watchID = -1
            queue.yield(reply)
        case nil: break
        }
    }

    private func create(_ create: Etcdserverpb_WatchCreateRequest) async {
        let id: Int64? = state.withLock { s in
            if s.closed { return nil }
            var id = create.watchID
            if id == 0 {
                while s.watches[s.nextID] != nil { s.nextID += 1 }
                id = s.nextID
                s.nextID += 1
            } else if s.watches[id] != nil {
                return nil
            }
            s.watches[id] = Running()
            return id
        }
        guard let id else {
            var reply = Etcdserverpb_WatchResponse()
            reply.header = stamp.header((try? await currentRevision(store)) ?? 0)
            reply.watchID = -1; reply.created = true; reply.canceled = true
            reply.cancelReason = "mvcc: duplicate watch ID provided on the WatchStream"
            queue.yield(reply)
            return
        }
        var request = WatchCreateRequest(proto: create)
        let revision: Int64
        do {
            revision = try await currentRevision(store)
        } catch {
            finish(id, reason: StoreError.from(error).message)
            return
        }
        // 0 means "after the revision the created response reports": pin it so no write
        // between the reply and the store watch is lost.
        if request.startRevision == 0 { request.startRevision = revision + 1 }
        var created = Etcdserverpb_WatchResponse()
        created.header = stamp.header(revision); created.watchID = id; created.created = true
        queue.yield(created)
        delivery.add(id, fragment: create.fragment, progressNotify: create.progressNotify)
        children.spawn { [request] in await self.run(id, request) }
    }

    private func run(_ id: Int64, _ request: WatchCreateRequest) async {
        defer { delivery.remove(id) }
        do {
            let stream = try await store.watch(request)
            let keep = state.withLock { s -> Bool in
                guard s.watches[id] != nil else { return false }
                s.watches[id]?.stream = stream
                return true
            }
            guard keep else { stream.cancel(); return }
            delivery.attach(id, stream)
            for try await batch in stream {
                let live = state.withLock { $0.watches[id] != nil }
                if !live { break }
                delivery.send(batch, id: id)
            }
        } catch let error as StoreError where error.compactRevision != 0 {
            var reply = Etcdserverpb_WatchResponse()
            reply.header = stamp.header(0); reply.header.revision = 0
            reply.watchID = id; reply.canceled = true; reply.compactRevision = error.compactRevision
            if state.withLock({ $0.watches.removeValue(forKey: id) }) != nil { queue.yield(reply) }
        } catch {
            // A watch cancelled by the client is already gone: finish says nothing then.
            if Task.isCancelled { return }
            finish(id, reason: StoreError.from(error).message)
        }
    }

    /// Ends a watch from the server side, telling the client why.
    private func finish(_ id: Int64, reason: String) {
        guard state.withLock({ $0.watches.removeValue(forKey: id) }) != nil else { return }
        var reply = Etcdserverpb_WatchResponse()
        reply.header = stamp.header(0); reply.watchID = id; reply.canceled = true; reply.cancelReason = reason
        queue.yield(reply)
    }

    /// Cancels a watch at the client's request (unknown IDs are ignored, as etcd does).
    func cancel(_ id: Int64) {
        guard let running = state.withLock({ $0.watches.removeValue(forKey: id) }) else { return }
        running.stream?.cancel()   // its follower ends with the stream (or, not yet started, sees it gone)
        var reply = Etcdserverpb_WatchResponse()
        reply.header = stamp.header(0); reply.watchID = id; reply.canceled = true
        queue.yield(reply)
    }

    /// Stops every watch and ends the response queue.
    func close() {
        let all = state.withLock { s -> [Running] in
            s.closed = true
            defer { s.watches = [:] }
            return Array(s.watches.values)
        }
        for running in all { running.stream?.cancel() }
        delivery.close()
        children.finish()
        queue.finish()
    }
}
