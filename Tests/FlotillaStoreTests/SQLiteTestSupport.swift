import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import Synchronization

/// Temporary directories for SQLite stores, removed (after closing their stores) by
/// ``cleanUp()``. Every store opened here runs as a service (lease expiry, compaction) inside
/// ``withScratch(_:)``'s task group until it is closed.
final class SQLiteScratch: Sendable {
    private let opened = Mutex<[(SQLiteStore, String)]>([])
    private let started: AsyncStream<SQLiteStore>.Continuation
    private let toRun: AsyncStream<SQLiteStore>
    /// The base directory of this scratch area.
    let base: String

    init() {
        base = NSTemporaryDirectory() + "flotilla-sqlite-\(UUID().uuidString)"
        (toRun, started) = AsyncStream.makeStream()
    }

    /// A fresh directory path (not created).
    func directory() -> String { base + "/\(UUID().uuidString)" }

    /// Opens a store in `directory` (fresh when nil), runs it, and remembers it for clean-up.
    func open(_ directory: String? = nil, options: SQLiteStore.Options = .init()) throws -> SQLiteStore {
        let path = directory ?? self.directory()
        let store = try SQLiteStore(directory: path, options: options)
        opened.withLock { $0.append((store, path)) }
        started.yield(store)
        return store
    }

    /// Runs each opened store's service until it is closed; returns after ``cleanUp()``.
    func runStores() async {
        await withDiscardingTaskGroup { group in
            for await store in toRun {
                group.addTask { try? await store.run() }
            }
        }
    }

    /// Closes every store opened here (ending their runs) and removes the directories.
    func cleanUp() async {
        started.finish()
        let stores = opened.withLock { $0 }
        for (store, _) in stores { await store.close() }
        try? FileManager.default.removeItem(atPath: base)
    }
}

/// Runs `body` with a scratch area whose stores run as services in a task group around it;
/// cleaned up afterwards, even on failure.
func withScratch(_ body: (SQLiteScratch) async throws -> Void) async throws {
    let scratch = SQLiteScratch()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await scratch.runStores() }
        do {
            try await body(scratch)
        } catch {
            await scratch.cleanUp()
            throw error
        }
        await scratch.cleanUp()
    }
}

extension KeyValueStore {
    /// The value of `key` (nil when absent), as text.
    func text(_ key: String, revision: Int64 = 0) async throws -> String? {
        try await range(RangeRequest(key: Bytes(utf8: key), revision: revision)).kvs.first?.value.utf8String
    }

    /// Puts text; returns the revision.
    @discardableResult
    func put(_ key: String, _ value: String, lease: Int64 = 0) async throws -> Int64 {
        try await put(PutRequest(key: Bytes(utf8: key), value: Bytes(utf8: value), lease: lease)).header.revision
    }
}
