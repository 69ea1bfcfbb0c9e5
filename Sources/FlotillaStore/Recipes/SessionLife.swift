import Synchronization

/// The mutable side of a ``Session``: its lease deadline, how it ended, and the tasks
/// waiting for that end. Owned by one `Mutex`; the keep-alive loop is its only writer of
/// the deadline.
final class SessionLife: Sendable {
    private struct State: ~Copyable {
        var deadline: ContinuousClock.Instant
        var end: SessionEnd?
        var waiters: [UInt64: CheckedContinuation<SessionEnd, any Error>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state: Mutex<State>

    init(deadline: ContinuousClock.Instant) {
        state = Mutex(State(deadline: deadline))
    }

    var deadline: ContinuousClock.Instant { state.withLock { $0.deadline } }
    var end: SessionEnd? { state.withLock { $0.end } }

    /// Records a successful renewal.
    func renewed(deadline: ContinuousClock.Instant) {
        state.withLock { $0.deadline = max($0.deadline, deadline) }
    }

    /// Records the end (only the first one counts) and wakes every waiter.
    func finish(_ end: SessionEnd) {
        let waiters = state.withLock { state -> [CheckedContinuation<SessionEnd, any Error>] in
            guard state.end == nil else { return [] }
            state.end = end
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: end) }
    }

    /// Waits for the end; throws `CancellationError` when the waiting task is cancelled.
    func wait() async throws -> SessionEnd {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<SessionEnd, any Error>? = state.withLock { state in
                    if let end = state.end { return .success(end) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// The keep-alive loop of a session; returns when the session ended or the task was
    /// cancelled (then the caller records `.closed`).
    static func keepAlive(store: any KeyValueStore, lease: Int64, interval: Duration, life: SessionLife) async {
        var failing = false
        while !Task.isCancelled {
            let pause = failing ? min(interval, .milliseconds(500)) : interval
            do { try await Task.sleep(for: pause) } catch { return }
            let sent = ContinuousClock.now
            let deadline = life.deadline
            do {
                let answer = try await untilDeadline(deadline, lease: lease) { try await store.leaseKeepAlive(id: lease) }
                guard answer.ttl > 0 else {
                    life.finish(.leaseLost)
                    return
                }
                life.renewed(deadline: sent + .seconds(answer.ttl))
                failing = false
            } catch {
                if Task.isCancelled { return }
                if ContinuousClock.now >= deadline {
                    life.finish(.keepAliveFailed(String(describing: error)))
                    return
                }
                failing = true
            }
        }
    }

    /// Runs `work`, giving up with ``RecipeError/keepAliveTimedOut(lease:)`` at `deadline`.
    private static func untilDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant, lease: Int64,
                                                  _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw RecipeError.keepAliveTimedOut(lease: lease)
            }
            return value
        }
    }
}
