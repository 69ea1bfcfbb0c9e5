import FlotillaStore
import FlotillaStoreSQLite
import Foundation
import Synchronization

/// Temporary directories for SQLite stores, removed (after closing their stores) by
/// ``cleanUp()``.
final class SQLiteScratch: Sendable {
    private let opened = Mutex<[(SQLiteStore, String)]>([])
    /// The base directory of this scratch area.
    let base: String

    init() {
        base = NSTemporaryDirectory() + "flotilla-sqlite-\(UUID().uuidString)"
    }

    /// A fresh directory path (not created).
    func directory() -> String { base + "/\(UUID().uuidString)" }

    /// Opens a store in `directory` (fresh when nil) and remembers it for clean-up.
    func open(_ directory: String? = nil) throws -> SQLiteStore {
        let path = directory ?? self.directory()
        let store = try SQLiteStore(directory: path)
        opened.withLock { $0.append((store, path)) }
        return store
    }

    /// Closes every store opened here and removes the directories.
    func cleanUp() async {
        let stores = opened.withLock { $0 }
        for (store, _) in stores { await store.close() }
        try? FileManager.default.removeItem(atPath: base)
    }
}

/// Runs `body` with a scratch area that is cleaned up afterwards, even on failure.
func withScratch(_ body: (SQLiteScratch) async throws -> Void) async throws {
    let scratch = SQLiteScratch()
    do {
        try await body(scratch)
    } catch {
        await scratch.cleanUp()
        throw error
    }
    await scratch.cleanUp()
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
