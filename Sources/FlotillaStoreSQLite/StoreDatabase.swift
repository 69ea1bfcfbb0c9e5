import Foundation
import GRDB

/// Opens `DIR/store.sqlite` in WAL mode with `synchronous = FULL` and incremental vacuum, and
/// creates the schema.
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
            try db.execute(sql: "PRAGMA journal_size_limit = \(walSizeLimit)")
            try enableIncrementalVacuum(db)
        }
        try pool.write { db in try createSchema(db) }
        return pool
    }

    /// The size the WAL file is cut back to once a checkpoint has copied it into the database
    /// (`PRAGMA journal_size_limit`); without it the file keeps its largest size ever.
    static let walSizeLimit = 8 * 1024 * 1024

    /// Turns on `auto_vacuum = INCREMENTAL`. Switching from `NONE` takes a `VACUUM` once the
    /// file has a header, which a WAL-mode database always has by now: instant for a new
    /// database; for one created before Flotilla used incremental vacuum it rewrites the file
    /// once (at open, before any reader), followed by a truncating checkpoint.
    static func enableIncrementalVacuum(_ db: Database) throws {
        guard try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") != 2 else { return }
        try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
        try db.execute(sql: "VACUUM")
        try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        let mode = try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0
        guard mode == 2 else { throw StoreDatabaseError.noIncrementalVacuum(mode) }
    }

    /// After a compaction removed rows: when free pages exceed an eighth of the file, hands
    /// them back to the file system (`PRAGMA incremental_vacuum`; a smaller free list is left
    /// for the next writes to reuse), then checkpoints the WAL without waiting for readers.
    static func reclaimSpace(_ db: Database) throws {
        let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        if free > 0 && free * 8 >= pages { try db.execute(sql: "PRAGMA incremental_vacuum") }
        try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
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
    case noIncrementalVacuum(Int)

    var description: String {
        switch self {
        case .synchronousNotFull(let level):
            return "SQLite refused PRAGMA synchronous = FULL (read back \(level)); writes would not be durable"
        case .noIncrementalVacuum(let mode):
            return "SQLite kept auto_vacuum = \(mode) after PRAGMA auto_vacuum = INCREMENTAL and VACUUM; compacted space could not be reused. Check that the store directory is writable and has room for a copy of store.sqlite."
        case .unknownSchema(let version):
            return "store.sqlite has schema version \(version); this build understands version \(StoreDatabase.schemaVersion). Use a matching Flotilla build or a fresh directory."
        }
    }
}
