@testable import FlotillaEtcd
import Foundation
import Synchronization
import Testing

/// The stall rule of a Watch stream's queue, on a clock the test moves.
@Suite("watch queue stall rule")
struct WatchQueueTests {
    /// A response of one event with a `bytes`-byte value.
    private func response(_ bytes: Int) -> Etcdserverpb_WatchResponse {
        .with { $0.events = [.with { $0.kv = .with { $0.key = Data("k".utf8); $0.value = Data(count: bytes) } }] }
    }

    @Test("cut off only when over the bound and the writer made no progress for stallAfter; an idle hour does not count")
    func stallRule() async {
        let start = ContinuousClock.now
        let offset = TestTime()
        let queue = WatchQueue(limit: 10_000, stallAfter: .seconds(30), now: { start + offset.value.withLock { $0 } })
        let first = response(100)
        queue.yield(first)
        queue.sent(first)
        // An hour with nothing to send, then a burst over the bound: the writer is not stalled.
        offset.value.withLock { $0 = .seconds(3600) }
        queue.yield(response(20_000))
        queue.yield(response(20_000))
        #expect(!queue.givenUp)
        offset.value.withLock { $0 = .seconds(3629) }
        queue.yield(response(100))
        #expect(!queue.givenUp, "29 s without progress")
        // 30 s after the burst began, with nothing taken: given up, and told once.
        offset.value.withLock { $0 = .seconds(3631) }
        queue.yield(response(100))
        #expect(queue.givenUp)
        queue.finish()   // (ends both streams for the counts below even if it had not given up)
        var told = 0
        for await _ in queue.overflowed { told += 1 }
        #expect(told == 1)
        // The writer gets what was queued before, then the end.
        var delivered = 0
        for await _ in queue.responses { delivered += 1 }
        #expect(delivered == 4)
    }
}

/// How far the test has moved its clock.
private final class TestTime: Sendable {
    let value = Mutex(Duration.zero)
}
