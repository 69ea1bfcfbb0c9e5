/// A lease kept alive in the background: the life of one participant in elections and
/// mutexes (etcd clientv3/concurrency `Session`). Keys that a ``StoreMutex`` or an
/// ``Election`` writes carry this lease, so they vanish when the session ends for any
/// reason — closed, revoked, or expired because this process stopped renewing.
///
/// Lifecycle and ordering contract:
/// - ``with(store:ttl:lease:keepAliveInterval:_:)`` grants the lease (or adopts a given
///   one), runs the session's keep-alive as a child task of the caller while `body` runs, and
///   closes the session when `body` returns or throws; nothing outlives that call.
/// - The keep-alive renews the lease every `keepAliveInterval` (default TTL/3). A failed
///   renewal is retried every ≤ 500 ms until the lease's local deadline (send time of the
///   last successful renewal + TTL) passes.
/// - The session ends exactly once, with a ``SessionEnd``: `.leaseLost` when the store
///   answers that the lease is gone, `.keepAliveFailed` when the deadline passed without a
///   successful renewal, `.closed` after ``close()`` or ``orphan()``. ``done`` returns it.
/// - ``close()`` first stops the keep-alive and waits for it to finish (no renewal runs
///   after that), then revokes the lease, which deletes every key of the session in one
///   revision, then returns. ``orphan()`` does the first step only: the lease expires on its
///   own after at most its TTL.
/// - Clean-up a recipe must do although its caller was cancelled (deleting a key of an
///   abandoned campaign) runs among the session's children, so it is not cancelled with that
///   caller and still never outlives the session.
/// - A process that must never act on a lost lease (fencing) should stop acting by
///   ``leaseDeadline``, which is never later than the store's own expiry.
public final class Session: Sendable {
    /// etcd's default session TTL, in seconds.
    public static let defaultTTL: Int64 = 60

    /// The store the lease lives in.
    public let store: any KeyValueStore
    /// The lease ID.
    public let lease: Int64
    /// The lease's TTL in seconds, as granted by the store.
    public let ttl: Int64
    private let life: SessionLife
    /// The keep-alive and shielded clean-up work, run by ``with(store:ttl:lease:keepAliveInterval:_:)``.
    let children = ChildTasks()

    /// Grants a lease of `ttl` seconds (etcd default 60) and keeps it alive while `body` runs,
    /// then closes the session (a failed revoke is not reported: the lease then expires after
    /// its TTL). With `lease` ≠ 0, adopts that existing lease instead (e.g. the machine's
    /// membership lease); throws ``RecipeError/sessionExpired(lease:)`` when it no longer exists.
    public static func with<T>(store: any KeyValueStore, ttl: Int64 = Session.defaultTTL, lease: Int64 = 0,
                               keepAliveInterval: Duration? = nil,
                               _ body: (Session) async throws -> T) async throws -> T {
        let session = try await Session(store: store, ttl: ttl, lease: lease, keepAliveInterval: keepAliveInterval)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await session.children.run() }
            do {
                let result = try await body(session)
                try? await session.close()
                return result
            } catch {
                try? await session.close()
                throw error
            }
        }
    }

    private init(store: any KeyValueStore, ttl: Int64, lease: Int64, keepAliveInterval: Duration?) async throws {
        let sent = ContinuousClock.now
        let granted: Int64
        if lease == 0 {
            let answer = try await store.leaseGrant(ttl: ttl, id: 0)
            (self.lease, granted) = (answer.id, answer.ttl)
        } else {
            let answer = try await store.leaseKeepAlive(id: lease)
            guard answer.ttl > 0 else { throw RecipeError.sessionExpired(lease: lease) }
            (self.lease, granted) = (lease, answer.ttl)
        }
        self.store = store
        self.ttl = granted
        let life = SessionLife(deadline: sent + .seconds(granted))
        self.life = life
        let interval = keepAliveInterval ?? .milliseconds(granted * 1000 / 3)
        children.spawn { [lease = self.lease] in
            await SessionLife.keepAlive(store: store, lease: lease, interval: interval, life: life)
        }
    }

    /// The lease ID in lowercase hex, as it appears in recipe keys.
    public var leaseHex: String { String(lease, radix: 16) }

    /// Waits until the session ends and tells why. Throws `CancellationError` when the
    /// waiting task is cancelled first (the session goes on).
    public var done: SessionEnd {
        get async throws { try await life.wait() }
    }

    /// How the session ended, or nil while it is alive.
    public var end: SessionEnd? { life.end }

    /// The instant by which the lease expires unless renewed: the send time of the last
    /// successful renewal (or grant) plus the TTL. Never later than the store's expiry.
    public var leaseDeadline: ContinuousClock.Instant { life.deadline }

    /// Stops the keep-alive (waiting for it to finish), then revokes the lease, deleting the
    /// session's keys. A lease that is already gone is not an error; other store errors are
    /// thrown after the session has ended (the lease then expires after its TTL).
    public func close() async throws {
        await orphan()
        do {
            _ = try await store.leaseRevoke(id: lease)
        } catch let error as StoreError where error == .leaseNotFound {
            return
        }
    }

    /// Stops the keep-alive and waits for it to finish, without revoking the lease (etcd
    /// `Orphan`): the session's keys live until the lease expires.
    public func orphan() async {
        await children.finishAndWait()
        life.finish(.closed)
    }
}

/// Why a ``Session`` ended.
public enum SessionEnd: Sendable, Hashable, CustomStringConvertible {
    /// ``Session/close()`` or ``Session/orphan()`` stopped it.
    case closed
    /// The store answered a renewal with "no such lease": revoked or expired.
    case leaseLost
    /// Renewals failed until the lease's deadline passed (the text is the last error); the
    /// lease must be taken as expired.
    case keepAliveFailed(String)

    /// A short text for logs.
    public var description: String {
        switch self {
        case .closed: "session closed"
        case .leaseLost: "session lease revoked or expired"
        case .keepAliveFailed(let error): "session keep-alive failed until the lease deadline: \(error)"
        }
    }
}
