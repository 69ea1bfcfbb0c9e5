import FlotillaStore
import FlotillaTesting
import Foundation
import Synchronization
import Testing

/// The backends the recipe tests run on directly (the gRPC ones are in RecipeEtcdctlTests).
enum RecipeBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory, sqlite

    var testDescription: String { rawValue }

    /// Runs `body` on a fresh store of this backend, closed afterwards.
    func withStore(_ body: (any KeyValueStore) async throws -> Void) async throws {
        switch self {
        case .inMemory:
            try await body(InMemoryStore(clock: ManualLeaseClock(), seed: 11))
        case .sqlite:
            try await withScratch { scratch in try await body(try scratch.open()) }
        }
    }
}

/// Runs `body` with `count` fresh sessions on `store`, all closed afterwards (also on failure).
func withSessions(_ count: Int, on store: any KeyValueStore, ttl: Int64 = 60, keepAliveInterval: Duration? = nil,
                  _ body: ([Session]) async throws -> Void) async throws {
    func nest(_ opened: [Session]) async throws {
        guard opened.count < count else { return try await body(opened) }
        try await Session.with(store: store, ttl: ttl, keepAliveInterval: keepAliveInterval) { try await nest(opened + [$0]) }
    }
    try await nest([])
}

/// Runs `body`, failing with a clear message when it takes longer than `seconds` (so a
/// broken recipe fails the test instead of hanging it).
func within<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw RecipeTestTimeout(what: what, seconds: seconds)
        }
        return value
    }
}

/// A wait in a recipe test that did not finish in time.
struct RecipeTestTimeout: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "\(what) did not happen within \(seconds) s" }
}

/// Polls `condition` every 50 ms until it holds; false when `seconds` passed first.
func pollUntil(_ seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// A flag set by one task and read by another.
final class RecipeFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

extension KeyValueStore {
    /// Every key-value under `prefix`, key order.
    func under(_ prefix: String) async throws -> [KeyValue] {
        try await range(.prefix(Bytes(utf8: prefix))).kvs
    }
}

extension String {
    /// The UTF-8 bytes.
    var bytes: Bytes { Bytes(utf8: self) }
}
