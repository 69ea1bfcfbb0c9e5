import Foundation
import GRDB

/// Opens `DIR/store.sqlite` in WAL mode with `synchronous = FULL` and creates the schema.
///
/// Schema (version 1):
/// - `kv`: the append-only revision log. One row per change of a key; `deleted = 1` rows are
///   tombstones. A key's value at revision R is its newest row with `revision <= R` (absent when
///   that row is a tombstone). `sub` orders the changes within one revision (event order).
///   A key changes at most once per revision (duplicate keys in a txn are rejected), so
///   `(key, revision)` is the primary key.
/// - `meta`: `revision` (current store revision), `compact_revision`, `schema_version`.
/// - `lease`: live leases with their granted TTL and wall-clock expiry (ms since 1970), so a
///   lease keeps its deadline across restarts.
enum StoreDatabase {
    /// Schema version written to `meta`.
    static let schemaVersion: Int64 = 1

    /// Opens (creating when needed) the database file in `directory`.
    static func open(directory: String) throws -> DatabasePool {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.maximumReaderCount = 8
        let pool = try DatabasePool(path: (directory as NSString).appendingPathComponent("store.sqlite"),
                                    configuration: configuration)
        // DatabasePool forces synchronous=NORMAL after prepareDatabase; a write is acknowledged
        // only once its commit is on disk, which needs FULL (fsync of the WAL at every commit).
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            let level = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? 0
            guard level >= 2 else { throw StoreDatabaseError.synchronousNotFull(level) }
        }
        try pool.write { db in try createSchema(db) }
        return pool
    }

    /// Creates the tables when missing and the initial meta rows (a fresh store is at revision 1).
    static func createSchema(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS kv (
                key BLOB NOT NULL,
                revision INTEGER NOT NULL,
                sub INTEGER NOT NULL,
                create_revision INTEGER NOT NULL,
                version INTEGER NOT NULL,
                value BLOB NOT NULL,
                lease INTEGER NOT NULL,
                deleted INTEGER NOT NULL,
                PRIMARY KEY (key, revision)
            );
            CREATE UNIQUE INDEX IF NOT EXISTS kv_by_revision ON kv(revision, sub);
            CREATE INDEX IF NOT EXISTS kv_by_lease ON kv(lease) WHERE lease != 0;
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS lease (
                id INTEGER PRIMARY KEY,
                granted_ttl INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            );
            INSERT OR IGNORE INTO meta(name, value) VALUES ('revision', 1), ('compact_revision', 0),
                ('schema_version', \(schemaVersion));
            """)
        let version = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'schema_version'") ?? 0
        guard version == schemaVersion else { throw StoreDatabaseError.unknownSchema(version) }
    }

    /// Reads a meta value.
    static func meta(_ db: Database, _ name: String) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE name = ?"), arguments: [name]) ?? 0
    }

    /// Writes a meta value.
    static func setMeta(_ db: Database, _ name: String, _ value: Int64) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)").execute(arguments: [name, value])
    }
}

/// Why the database could not be opened.
enum StoreDatabaseError: Error, CustomStringConvertible {
    case synchronousNotFull(Int)
    case unknownSchema(Int64)

    var description: String {
        switch self {
        case .synchronousNotFull(let level):
            return "SQLite refused PRAGMA synchronous = FULL (read back \(level)); writes would not be durable"
        case .unknownSchema(let version):
            return "store.sqlite has schema version \(version); this build understands version \(StoreDatabase.schemaVersion). Use a matching Flotilla build or a fresh directory."
        }
    }
}
