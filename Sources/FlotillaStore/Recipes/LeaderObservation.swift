/// The leaders of an ``Election`` as they change, with etcd's `Observe` semantics: first the
/// current leader's key-value (waiting for a first candidate when there is none), then the
/// key-value after every change of that key's value, then — once the key is deleted — the
/// next leader, read afresh (so a candidate that led only briefly between two reads may never
/// show), and so on. Changes of one leader's value come in revision order. Nothing runs in
/// the background: each `next()` reads and watches the store itself. The sequence ends
/// (nil) when the iterating task is cancelled; it throws when the store fails or ends a
/// watch (``RecipeError/watchEnded(key:)``).
public struct LeaderObservation: AsyncSequence, Sendable {
    /// The leader's key-value.
    public typealias Element = KeyValue

    let store: any KeyValueStore
    let prefix: Bytes

    /// Starts observing; each iterator reads and watches on its own.
    public func makeAsyncIterator() -> Iterator { Iterator(store: store, prefix: prefix) }

    /// Reads and watches the store as the caller asks for the next leader.
    public struct Iterator: AsyncIteratorProtocol {
        private let store: any KeyValueStore
        private let prefix: Bytes
        /// The watch on the current leader's key (nil while looking for a leader).
        private var following: (watch: WatchStream, events: WatchStream.AsyncIterator)?
        private var pending: [Event] = []

        init(store: any KeyValueStore, prefix: Bytes) {
            self.store = store
            self.prefix = prefix
        }

        /// The next leader key-value.
        public mutating func next() async throws -> KeyValue? {
            while !Task.isCancelled {
                if !pending.isEmpty {
                    let event = pending.removeFirst()
                    if event.type == .put { return event.kv }
                    stopFollowing()
                    continue
                }
                if var current = following {
                    let response = try await current.events.next()
                    following?.events = current.events
                    guard let response else {
                        if Task.isCancelled { break }
                        stopFollowing()
                        throw RecipeError.watchEnded(key: prefix.utf8String)
                    }
                    pending = response.events
                    continue
                }
                return try await findLeader()
            }
            stopFollowing()
            return nil
        }

        /// Reads the leader (or waits for the first put under the prefix), starts following
        /// its key from the revision after the read, and returns it.
        private mutating func findLeader() async throws -> KeyValue? {
            let answer = try await store.range(RecipeWaits.firstCreated(under: prefix))
            var leader = answer.kvs.first
            var revision = answer.header.revision
            if leader == nil {
                let watch = try await store.watch(WatchCreateRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(prefix),
                                                                     startRevision: answer.header.revision, filters: [.noDelete]))
                defer { watch.cancel() }
                for try await response in watch {
                    if let put = response.events.first(where: { $0.type == .put }) {
                        leader = put.kv
                        revision = put.kv.modRevision
                        break
                    }
                }
            }
            guard let leader else { return nil }
            let watch = try await store.watch(WatchCreateRequest(key: leader.key, startRevision: revision + 1))
            following = (watch, watch.makeAsyncIterator())
            return leader
        }

        private mutating func stopFollowing() {
            following?.watch.cancel()
            following = nil
            pending = []
        }
    }
}
