/// Failures of the concurrency recipes (``Session``, ``Election``, ``StoreMutex``,
/// ``LeaderGuard``). Each text says what happened and what the caller should do next.
public enum RecipeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The election key is gone or was recreated: this candidate does not lead (etcd
    /// `ErrElectionNotLeader`).
    case notLeader(key: String)
    /// The session's lease is gone (revoked, expired, or the key attached to it was deleted).
    case sessionExpired(lease: Int64)
    /// A guarded transaction was refused because the guarding key no longer has the expected
    /// create revision: the caller was deposed (or released the lock).
    case leadershipLost(key: String, createRevision: Int64)
    /// ``StoreMutex/tryLock()`` found the mutex held by another session (etcd `ErrLocked`).
    case locked(prefix: String)
    /// A watch ended before the awaited key was deleted (etcd "lost watcher waiting for delete").
    case watchEnded(key: String)
    /// A lease renewal got no answer before the lease's deadline.
    case keepAliveTimedOut(lease: Int64)
    /// The session was closed before or during the call.
    case sessionClosed(lease: Int64)

    /// The message, with what to do next.
    public var description: String {
        switch self {
        case .notLeader(let key):
            "election: not leader (key \(key) was deleted or recreated); campaign again before acting as leader"
        case .sessionExpired(let lease):
            "session expired: lease \(String(lease, radix: 16)) is gone; start a new session and campaign or lock again"
        case .leadershipLost(let key, let revision):
            "write refused: \(key) no longer has create revision \(revision), so this process lost leadership or the lock; stop acting on it and campaign or lock again"
        case .locked(let prefix):
            "mutex \(prefix) is locked by another session; retry later or call lock() to wait"
        case .watchEnded(let key):
            "lost watcher waiting for delete of \(key); check that the store is reachable and retry"
        case .keepAliveTimedOut(let lease):
            "keep-alive of lease \(String(lease, radix: 16)) got no answer before the lease deadline; treat the lease as lost"
        case .sessionClosed(let lease):
            "session with lease \(String(lease, radix: 16)) is closed; start a new session"
        }
    }
}
