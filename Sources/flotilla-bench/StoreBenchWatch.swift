import FlotillaEtcd
import FlotillaStore

/// What the watch-latency phase measured.
struct StoreBenchWatch: Codable, Sendable {
    /// Watchers, the connections they were spread over, and the puts made.
    var watchers: Int
    var connections: Int
    var puts: Int
    /// Events delivered (expected: watchers × puts) and the ones that never arrived.
    var deliveries: Int
    var missing: Int
    /// Put sent → event delivered to a watcher, over all deliveries, in milliseconds.
    var p50Ms: Double
    var p99Ms: Double
    var maxMs: Double
}

/// The watch-latency phase: `watchers` watches on one key, watcher `i` on
/// `stores[i % stores.count]`; a writer on its own connection puts the key `puts` times, one at a
/// time, each time waiting until every watcher has the event (or 10 s passed) before the next
/// put. Latency = from just before the put is sent to the moment the watcher's task receives
/// the event.
func storeBenchWatchLatency(stores: [EtcdStore], writer: EtcdStore, watchers: Int, puts: Int,
                            key: Bytes, value: Bytes) async throws -> StoreBenchWatch {
    let clock = ContinuousClock()
    let delivered = StoreBenchCounter()
    let streams = try await openWatches(stores: stores, count: watchers, key: key)
    defer { for stream in streams { stream.cancel() } }

    return try await withThrowingTaskGroup(of: [(Int64, ContinuousClock.Instant)].self) { group in
        for stream in streams {
            group.addTask {
                var received: [(Int64, ContinuousClock.Instant)] = []
                received.reserveCapacity(puts + 1)
                do {
                    for try await response in stream {
                        let now = clock.now
                        for event in response.events {
                            received.append((event.kv.modRevision, now))
                            _ = delivered.next()
                        }
                        if received.count > puts { break }
                    }
                } catch {}  // cancelled at the end when some events never came: counted as missing
                return received
            }
        }

        // One unmeasured put first (cold paths), then the measured ones.
        var sent: [Int64: ContinuousClock.Instant] = [:]
        for round in 0...puts {
            let began = clock.now
            let response = try await writer.put(PutRequest(key: key, value: value))
            if round > 0 { sent[response.header.revision] = began }
            let target = (round + 1) * watchers
            let deadline = clock.now + .seconds(10)
            while delivered.taken < target && clock.now < deadline {
                try await Task.sleep(for: .microseconds(200))
            }
        }
        for stream in streams { stream.cancel() }

        var latencies: [Double] = []
        latencies.reserveCapacity(watchers * puts)
        for try await received in group {
            for (revision, at) in received {
                if let began = sent[revision] { latencies.append((at - began).seconds) }
            }
        }
        latencies.sort()
        return StoreBenchWatch(watchers: watchers, connections: min(watchers, stores.count), puts: puts,
                               deliveries: latencies.count, missing: watchers * puts - latencies.count,
                               p50Ms: storeBenchPercentile(latencies, 0.50) * 1000, p99Ms: storeBenchPercentile(latencies, 0.99) * 1000,
                               maxMs: (latencies.last ?? 0) * 1000)
    }
}

/// Opens `count` watches on `key`, watch `i` on `stores[i % stores.count]`, at most 50 being
/// created at a time; each is confirmed by the server before this returns.
private func openWatches(stores: [EtcdStore], count: Int, key: Bytes) async throws -> [WatchStream] {
    var streams: [WatchStream] = []
    streams.reserveCapacity(count)
    var next = 0
    while next < count {
        let batch = next..<min(count, next + 50)
        do {
            let opened = try await withThrowingTaskGroup(of: WatchStream.self) { group in
                for index in batch {
                    group.addTask { try await stores[index % stores.count].watch(WatchCreateRequest(key: key)) }
                }
                var opened: [WatchStream] = []
                for try await stream in group { opened.append(stream) }
                return opened
            }
            streams.append(contentsOf: opened)
        } catch {
            for stream in streams { stream.cancel() }
            throw error
        }
        next = batch.upperBound
    }
    return streams
}
