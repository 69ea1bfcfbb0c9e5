import FlotillaEtcd
import FlotillaStore
import Synchronization

/// When a throughput phase stops: after a fixed time, or after a fixed number of operations.
enum StoreBenchLimit: Sendable {
    case duration(Duration)
    case count(Int)
}

/// A shared operation counter for the client tasks of one phase.
final class StoreBenchCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// Takes the next sequence number (0, 1, 2, …).
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }

    /// How many numbers were taken.
    var taken: Int { value.load(ordering: .relaxed) }
}

/// What one throughput phase measured.
struct StoreBenchPhase: Codable, Sendable {
    /// Completed operations.
    var operations: Int
    /// Wall time from the first client's start to the last client's end.
    var seconds: Double
    /// Operations per second.
    var perSecond: Double
    /// Median and 99th-percentile time of one operation, in milliseconds.
    var latencyP50Ms: Double
    var latencyP99Ms: Double
    /// Concurrent client tasks and the connections they shared.
    var clients: Int
    var connections: Int
}

/// Runs one throughput phase: `clients` tasks, client `i` using `stores[i % stores.count]`,
/// each issuing `operation` one at a time (awaiting each) until the limit is reached.
/// The operation gets a sequence number unique within the phase. The first error ends the
/// phase and is rethrown.
func storeBenchDrive(stores: [EtcdStore], clients: Int, limit: StoreBenchLimit,
                     _ operation: @escaping @Sendable (EtcdStore, Int) async throws -> Void) async throws -> StoreBenchPhase {
    let counter = StoreBenchCounter()
    let clock = ContinuousClock()
    let start = clock.now
    let deadline: ContinuousClock.Instant? = if case .duration(let d) = limit { start + d } else { nil }
    let maximum: Int? = if case .count(let n) = limit { n } else { nil }

    let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
        for client in 0..<clients {
            let store = stores[client % stores.count]
            group.addTask {
                var own: [Double] = []
                own.reserveCapacity(4096)
                while true {
                    let began = clock.now
                    if let deadline, began >= deadline { break }
                    let sequence = counter.next()
                    if let maximum, sequence >= maximum { break }
                    try await operation(store, sequence)
                    own.append((clock.now - began).seconds)
                }
                return own
            }
        }
        var all: [Double] = []
        for try await own in group { all.append(contentsOf: own) }
        return all
    }
    let elapsed = (clock.now - start).seconds
    let sorted = latencies.sorted()
    return StoreBenchPhase(operations: sorted.count, seconds: elapsed, perSecond: Double(sorted.count) / max(elapsed, 1e-9),
                           latencyP50Ms: storeBenchPercentile(sorted, 0.50) * 1000, latencyP99Ms: storeBenchPercentile(sorted, 0.99) * 1000,
                           clients: clients, connections: min(clients, stores.count))
}

/// The `p` quantile (0…1) of ascending `sorted` values by nearest rank; 0 when empty.
func storeBenchPercentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// Benchmark keys of a fixed size: a one-byte tag (`p` puts, `c` create-if-absent txns,
/// `w` the watched key) followed by a base-62 number, zero-padded. Each run starts its
/// numbers at a random offset so that a second run against the same store still creates
/// keys that are absent.
struct StoreBenchKeys: Sendable {
    private static let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    /// Key length in bytes.
    let size: Int
    private let base: UInt64

    /// Keys of `size` bytes (at least 6, which leaves room for ~900 million keys per run).
    init(size: Int) {
        self.size = size
        let room = (0..<(size - 1)).reduce(UInt64(1)) { partial, _ in partial.multipliedReportingOverflow(by: 62).overflow ? UInt64.max : partial * 62 }
        base = UInt64.random(in: 0..<(room / 2))
    }

    /// The key for `tag` and sequence number `n`.
    func key(_ tag: Character, _ n: Int) -> Bytes {
        var number = base &+ UInt64(n)
        var key = Bytes(repeating: Self.digits[0], count: size)
        key[0] = tag.asciiValue ?? UInt8(ascii: "k")
        var index = size - 1
        while number > 0 && index > 0 {
            key[index] = Self.digits[Int(number % 62)]
            number /= 62
            index -= 1
        }
        return key
    }
}
