import FlotillaEtcd
import FlotillaStore
import Foundation

/// One write a crash-test writer sent.
enum CrashWrite: Sendable {
    /// A put of a fresh key.
    case put(key: String, value: String)
    /// Two fresh keys put in one txn (all or nothing).
    case pair(keys: [String], value: String)
    /// A delete of one of the writer's acknowledged keys, whose value and revision were known.
    case delete(key: String, value: String, revision: Int64)
}

/// A write and its fate: the revision when the response arrived (acknowledged), nil when the
/// server died first (in flight: it may or may not have been applied).
struct CrashRecord: Sendable {
    var write: CrashWrite
    var revision: Int64?
    /// Set when the server answered, but wrongly.
    var problem: String? = nil
}

/// One writer of a crash round: writes without pause until the first failure (the kill), so
/// at most one write is in flight when the server dies. Keys are `crash/r<round>/…`; values are
/// the sequence number.
struct CrashWriter: Sendable {
    var round: Int
    var index: Int
    var client: EtcdStore

    /// Writes until a write fails (or `limit` writes); returns every write in order.
    func run(limit: Int = 20_000) async -> [CrashRecord] {
        var records: [CrashRecord] = []
        var live: [(key: String, value: String, revision: Int64)] = []
        for seq in 1...limit {
            let value = String(seq)
            let write: CrashWrite
            switch seq % 5 {
            case 3: write = .pair(keys: ["crash/r\(round)/t\(index)/\(seq)/a", "crash/r\(round)/t\(index)/\(seq)/b"], value: value)
            case 4 where !live.isEmpty:
                let victim = live.remove(at: Int.random(in: 0..<live.count))
                write = .delete(key: victim.key, value: victim.value, revision: victim.revision)
            default: write = .put(key: "crash/r\(round)/w\(index)/\(seq)", value: value)
            }
            do {
                let revision = try await send(write)
                records.append(CrashRecord(write: write, revision: revision))
                if case .put(let key, let value) = write { live.append((key, value, revision)) }
            } catch let failure as CrashCheckFailure {
                records.append(CrashRecord(write: write, revision: nil, problem: failure.message))
                return records
            } catch {
                records.append(CrashRecord(write: write, revision: nil))
                return records
            }
        }
        return records
    }

    /// Sends one write; returns its revision. A wrong answer throws ``CrashCheckFailure``.
    private func send(_ write: CrashWrite) async throws -> Int64 {
        switch write {
        case .put(let key, let value):
            return try await client.put(PutRequest(key: Bytes(utf8: key), value: Bytes(utf8: value))).header.revision
        case .pair(let keys, let value):
            let ops = keys.map { RequestOp.put(PutRequest(key: Bytes(utf8: $0), value: Bytes(utf8: value))) }
            let response = try await client.txn(TxnRequest(success: ops))
            guard response.succeeded else { throw CrashCheckFailure(message: "txn without compares did not succeed") }
            return response.header.revision
        case .delete(let key, _, _):
            let response = try await client.deleteRange(DeleteRangeRequest(key: Bytes(utf8: key)))
            guard response.deleted == 1 else {
                throw CrashCheckFailure(message: "delete of acknowledged live key \(key) deleted \(response.deleted) keys")
            }
            return response.header.revision
        }
    }
}

/// A broken crash-safety promise.
struct CrashCheckFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
