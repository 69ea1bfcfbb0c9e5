import Synchronization

/// What happened to this machine's membership lease, in the order it happened.
package enum LeaseEvent: Sendable, Hashable {
    /// The machine registered under a new lease at `revision`. Records kept under the
    /// machine's lease (statuses) must be written again with it; assignments must be read
    /// again as of at least `revision` before exclusive units may start.
    case registered(lease: Int64, revision: Int64)
    /// Renewals failed for the TTL less the fencing margin, or the lease was found gone:
    /// exclusive units must stop now, before the lease can expire.
    case lapsed
    /// A renewal of the same lease succeeded after ``lapsed``: it never expired, so nothing
    /// was moved and exclusive units may run again.
    case recovered
}

/// Hands every ``LeaseEvent`` to each subscriber, in order. Subscribe before the membership
/// runs (the services that react subscribe when they are made); a subscriber that never
/// reads keeps at most the newest 64 events.
package final class LeaseEvents: Sendable {
    private let subscribers = Mutex<[AsyncStream<LeaseEvent>.Continuation]>([])

    /// An empty broadcast.
    package init() {}

    /// Every event from now on; the stream ends with ``finish()``.
    package func subscribe() -> AsyncStream<LeaseEvent> {
        let (stream, continuation) = AsyncStream<LeaseEvent>.makeStream(bufferingPolicy: .bufferingNewest(64))
        subscribers.withLock { $0.append(continuation) }
        return stream
    }

    /// Delivers `event` to every subscriber.
    package func send(_ event: LeaseEvent) {
        for subscriber in subscribers.withLock({ $0 }) { subscriber.yield(event) }
    }

    /// Ends every subscriber's stream (the membership stopped).
    package func finish() {
        for subscriber in subscribers.withLock({ s in defer { s = [] }; return s }) { subscriber.finish() }
    }
}
