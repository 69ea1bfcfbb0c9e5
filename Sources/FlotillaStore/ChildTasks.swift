import Synchronization

/// Work that a long-lived object starts as it goes (a watch per create request, a timer, a
/// lease's keep-alive), run as child tasks of whoever calls ``run()``, so it stays
/// structured: none of it outlives that caller. ``finish()`` or cancelling the caller cancels
/// every child and ``run()`` returns once they have all ended. Work spawned after that is
/// dropped, unrun.
package final class ChildTasks: Sendable {
    private let work: AsyncStream<@Sendable () async -> Void>
    private let queue: AsyncStream<@Sendable () async -> Void>.Continuation
    private let started = Mutex(false)
    private let ended = Latch()
    private let shielded = Mutex<[Latch]>([])

    package init() {
        (work, queue) = AsyncStream.makeStream()
    }

    /// Starts `body` as a child of ``run()`` (at once when ``run()`` is running, else when it
    /// starts); dropped after ``finish()``, and then it answers false.
    @discardableResult
    package func spawn(_ body: @escaping @Sendable () async -> Void) -> Bool {
        if case .terminated = queue.yield(body) { return false }
        return true
    }

    /// Like ``spawn(_:)``, for a child that may have to end alone (one watch stream of many):
    /// calling the returned function cancels that child only. Nil after ``finish()``.
    package func spawnStoppable(_ body: @escaping @Sendable () async -> Void) -> (@Sendable () -> Void)? {
        let stop = Latch()
        let accepted = spawn {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await body() }
                group.addTask { await stop.wait() }
                await group.next()
                group.cancelAll()
            }
        }
        guard accepted else { return nil }
        return { @Sendable in stop.open() }
    }

    /// Runs `work` as a child, out of reach of the calling task's cancellation, and waits for
    /// it (clean-up that must happen although its caller was cancelled). Returns without
    /// running it when the children have ended or end first.
    package func runShielded(_ work: @escaping @Sendable () async -> Void) async {
        let done = Latch()
        let over = shielded.withLock { waiting -> Bool in
            if ended.isOpen { return true }
            waiting.append(done)
            return false
        }
        if over { return }
        // Dropped unrun after finish(), the closure releases the token, which opens the latch.
        spawn { [token = OnRelease { done.open() }] in
            await work()
            token.run()
        }
        await done.waitIgnoringCancellation()
    }

    /// Ends ``run()``: its children are cancelled and awaited.
    package func finish() {
        queue.finish()
    }

    /// ``finish()``, then waits until ``run()`` has returned (at once when it never started).
    package func finishAndWait() async {
        finish()
        guard started.withLock({ $0 }) else { return }
        await ended.waitIgnoringCancellation()
    }

    /// Runs the spawned work until ``finish()`` or cancellation. Call it once.
    package func run() async {
        started.withLock { $0 = true }
        defer {
            let waiting = shielded.withLock { waiting -> [Latch] in
                ended.open()
                defer { waiting = [] }
                return waiting
            }
            for latch in waiting { latch.open() }
        }
        await withDiscardingTaskGroup { group in
            for await body in work {
                group.addTask { await body() }
            }
            group.cancelAll()
        }
    }
}

/// Runs an action when released (or when ``run()`` is called, whichever is first; it runs
/// once): captured by spawned work, it tells a waiter that the work was dropped unrun.
package final class OnRelease: Sendable {
    private let action: Mutex<(@Sendable () -> Void)?>

    package init(_ action: @escaping @Sendable () -> Void) {
        self.action = Mutex(action)
    }

    /// Runs the action now, if it has not run.
    package func run() {
        action.withLock { a -> (@Sendable () -> Void)? in defer { a = nil }; return a }?()
    }

    deinit { run() }
}
