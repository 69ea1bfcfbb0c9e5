import FlotillaStore

/// What the store must hold for one key after a restart.
enum KeyExpectation: Equatable {
    /// Acknowledged (or seen after an earlier restart): this value at this mod revision.
    case present(value: String, revision: Int64)
    /// Acknowledged delete (or seen absent after an earlier restart).
    case absent
    /// An in-flight put: absent, or this value at a revision above `after` (the writer's
    /// previous acknowledged revision).
    case maybe(value: String, after: Int64)
    /// An in-flight delete of a key that held this value at this revision.
    case maybeDeleted(value: String, revision: Int64)
}

/// The crash test's model of the store: every write's expected effect, the in-flight txns
/// that must be all-or-nothing, and the revisions seen. After each restart ``check(_:)``
/// compares a full read with the model and pins down what the in-flight writes did, so later
/// rounds also check that it stays that way.
struct CrashLedger {
    private(set) var expected: [String: KeyExpectation] = [:]
    private var openPairs: [[String]] = []
    private var acknowledgedRevisions: Set<Int64> = []
    /// The highest revision any response or read showed so far.
    private(set) var highestSeen: Int64 = 0
    private(set) var acknowledged = 0
    private(set) var inFlight = 0
    private(set) var inFlightApplied = 0

    /// Adds one writer's records (in its order). Returns problems (a wrong answer, a revision
    /// handed out twice).
    mutating func record(_ records: [CrashRecord]) -> [String] {
        var problems: [String] = []
        var previous: Int64 = 0
        for record in records {
            if let problem = record.problem { problems.append(problem); continue }
            guard let revision = record.revision else {
                inFlight += 1
                switch record.write {
                case .put(let key, let value): expected[key] = .maybe(value: value, after: previous)
                case .pair(let keys, let value):
                    for key in keys { expected[key] = .maybe(value: value, after: previous) }
                    openPairs.append(keys)
                case .delete(let key, let value, let revision): expected[key] = .maybeDeleted(value: value, revision: revision)
                }
                continue
            }
            acknowledged += 1
            if !acknowledgedRevisions.insert(revision).inserted { problems.append("revision \(revision) acknowledged twice") }
            if revision <= previous { problems.append("writer saw revision \(revision) after \(previous)") }
            previous = revision
            highestSeen = max(highestSeen, revision)
            switch record.write {
            case .put(let key, let value): expected[key] = .present(value: value, revision: revision)
            case .pair(let keys, let value): for key in keys { expected[key] = .present(value: value, revision: revision) }
            case .delete(let key, _, _): expected[key] = .absent
            }
        }
        return problems
    }

    /// Compares a full read of `crash/` after a restart with the model; returns every broken
    /// promise and resolves the in-flight writes to what the read showed.
    mutating func check(_ read: RangeResponse) -> [String] {
        var problems: [String] = []
        let actual = Dictionary(read.kvs.map { ($0.key.utf8String, $0) }, uniquingKeysWith: { a, _ in a })
        if read.header.revision < highestSeen {
            problems.append("header revision \(read.header.revision) after restart is below acknowledged/seen revision \(highestSeen)")
        }
        for key in actual.keys where expected[key] == nil { problems.append("\(key) exists but was never written") }
        for (key, expectation) in expected {
            let kv = actual[key]
            let value = kv?.value.utf8String
            switch expectation {
            case .present(let want, let revision):
                if value != want || kv?.modRevision != revision {
                    problems.append("\(key): acknowledged \(want)@\(revision), found \(value ?? "nothing")@\(kv?.modRevision ?? 0)")
                }
            case .absent:
                if let kv { problems.append("\(key): deleted, found \(value ?? "")@\(kv.modRevision)") }
            case .maybe(let want, let after):
                guard let kv else { expected[key] = .absent; continue }
                if value != want || kv.modRevision <= after {
                    problems.append("\(key): in-flight put of \(want) after \(after), found \(value ?? "")@\(kv.modRevision)")
                }
                inFlightApplied += 1
                expected[key] = .present(value: value ?? "", revision: kv.modRevision)
            case .maybeDeleted(let want, let revision):
                if let kv {
                    if value != want || kv.modRevision != revision {
                        problems.append("\(key): in-flight delete of \(want)@\(revision), found \(value ?? "")@\(kv.modRevision)")
                    }
                } else {
                    inFlightApplied += 1
                    expected[key] = .absent
                }
            }
        }
        for keys in openPairs {
            let found = keys.map { actual[$0]?.modRevision }
            if Set(found).count != 1 { problems.append("txn half-applied: \(zip(keys, found).map { "\($0)@\($1 ?? 0)" })") }
        }
        openPairs = []
        highestSeen = max(highestSeen, read.header.revision)
        return problems
    }

    /// Records a write made outside the writers (the probe after a restart).
    mutating func acknowledge(_ key: String, value: String, revision: Int64) {
        expected[key] = .present(value: value, revision: revision)
        acknowledgedRevisions.insert(revision)
        highestSeen = max(highestSeen, revision)
    }
}
