/// Work that a long-lived object starts as it goes (a watch per create request, a timer),
/// run as child tasks of whoever calls ``run()``, so it stays structured: none of it outlives
/// that caller. ``finish()`` or cancelling the caller cancels every child and ``run()``
/// returns once they have all ended. Work spawned after that is dropped, unrun.
package final class ChildTasks: Sendable {
    private let work: AsyncStream<@Sendable () async -> Void>
    private let queue: AsyncStream<@Sendable () async -> Void>.Continuation

    package init() {
        (work, queue) = AsyncStream.makeStream()
    }

    /// Starts `body` as a child of ``run()`` (at once when ``run()`` is running, else when it
    /// starts); dropped after ``finish()``.
    package func spawn(_ body: @escaping @Sendable () async -> Void) {
        queue.yield(body)
    }

    /// Ends ``run()``: its children are cancelled and awaited.
    package func finish() {
        queue.finish()
    }

    /// Runs the spawned work until ``finish()`` or cancellation. Call it once.
    package func run() async {
        await withDiscardingTaskGroup { group in
            for await body in work {
                group.addTask { await body() }
            }
            group.cancelAll()
        }
    }
}
