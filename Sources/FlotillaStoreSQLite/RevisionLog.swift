import FlotillaStore
import Foundation
import GRDB

/// SQL reads of the `kv` revision log: a key's newest version at a revision, the live keys of a
/// range, and the events between two revisions. All functions run inside the caller's
/// transaction, so they see a consistent snapshot (and, in the writer, its own uncommitted rows).
enum RevisionLog {
    /// The columns every key-value read selects, in ``keyValue(_:)`` order.
    static let columns = "key, revision, create_revision, version, value, lease, deleted"

    /// Decodes a row selected with ``columns``.
    static func keyValue(_ row: Row) -> KeyValue {
        KeyValue(key: bytes(row[0]), createRevision: row[2], modRevision: row[1], version: row[3],
                 value: bytes(row[4]), lease: row[5])
    }

    /// Bytes from a BLOB column (NULL and empty both mean no bytes).
    static func bytes(_ value: DatabaseValue) -> Bytes {
        if let data = Data.fromDatabaseValue(value) { return Bytes(data) }
        return []
    }

    /// The SQL condition and arguments selecting keys in etcd's range (`key`, `rangeEnd`).
    static func keyCondition(key: Bytes, rangeEnd: Bytes, column: String = "key") -> (String, StatementArguments) {
        if rangeEnd.isEmpty { return ("\(column) = ?", [Data(key)]) }
        if rangeEnd == KeyRange.allFromKey {
            return key == KeyRange.allFromKey ? ("1", []) : ("\(column) >= ?", [Data(key)])
        }
        return ("\(column) >= ? AND \(column) < ?", [Data(key), Data(rangeEnd)])
    }

    /// The live version of `key` at `revision`, or nil when absent or deleted there.
    static func latest(_ db: Database, key: Bytes, atRevision revision: Int64) throws -> KeyValue? {
        let statement = try db.cachedStatement(sql: """
            SELECT \(columns) FROM kv WHERE key = ? AND revision <= ? ORDER BY revision DESC LIMIT 1
            """)
        let row = try Row.fetchOne(statement, arguments: [Data(key), revision])
        guard let row, (row[6] as Int64) == 0 else { return nil }
        return keyValue(row)
    }

    /// The newest-row-per-key subquery for a range at a revision (tombstones included; the
    /// caller filters `deleted = 0`). Uses SQLite's bare-column `MAX()` rule.
    private static func newestRows(key: Bytes, rangeEnd: Bytes, atRevision revision: Int64,
                                   select: String) -> (String, StatementArguments) {
        let (condition, arguments) = keyCondition(key: key, rangeEnd: rangeEnd)
        let sql = """
            SELECT \(select) FROM (
                SELECT key, MAX(revision) AS revision, create_revision, version, value, lease, deleted
                FROM kv WHERE \(condition) AND revision <= ? GROUP BY key
            ) WHERE deleted = 0
            """
        return (sql, arguments + [revision])
    }

    /// The live key-values of a range at a revision, key-ascending; at most `limit` when > 0.
    static func live(_ db: Database, key: Bytes, rangeEnd: Bytes, atRevision revision: Int64,
                     limit: Int64 = 0) throws -> [KeyValue] {
        var (sql, arguments) = newestRows(key: key, rangeEnd: rangeEnd, atRevision: revision, select: columns)
        sql += " ORDER BY key"
        if limit > 0 {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(keyValue)
    }

    /// The number of live keys in a range at a revision.
    static func count(_ db: Database, key: Bytes, rangeEnd: Bytes, atRevision revision: Int64) throws -> Int64 {
        let (sql, arguments) = newestRows(key: key, rangeEnd: rangeEnd, atRevision: revision, select: "COUNT(*)")
        return try Int64.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) ?? 0
    }

    /// The events of revisions `from...through` in a range, in revision then change order.
    /// With `withPrevious`, each event carries the key's previous live version when still in
    /// history.
    static func events(_ db: Database, key: Bytes, rangeEnd: Bytes, from: Int64, through: Int64,
                       withPrevious: Bool) throws -> [Event] {
        guard from <= through else { return [] }
        let (condition, arguments) = keyCondition(key: key, rangeEnd: rangeEnd)
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(columns) FROM kv WHERE revision >= ? AND revision <= ? AND \(condition)
            ORDER BY revision, sub
            """), arguments: [from, through] + arguments)
        return try rows.map { row in
            let kv = keyValue(row)
            let previous = withPrevious ? try latest(db, key: kv.key, atRevision: kv.modRevision - 1) : nil
            if (row[6] as Int64) != 0 {
                return Event(type: .delete, kv: KeyValue(key: kv.key, modRevision: kv.modRevision), prevKV: previous)
            }
            return Event(type: .put, kv: kv, prevKV: previous)
        }
    }

    /// Keys whose live version at `revision` is attached to `lease`, key-ascending.
    static func keys(_ db: Database, lease: Int64, atRevision revision: Int64) throws -> [KeyValue] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(columns) FROM kv AS k WHERE k.lease = ? AND k.deleted = 0 AND k.revision <= ?
              AND k.revision = (SELECT MAX(n.revision) FROM kv AS n WHERE n.key = k.key AND n.revision <= ?)
            ORDER BY k.key
            """), arguments: [lease, revision, revision])
        return rows.map(keyValue)
    }
}
