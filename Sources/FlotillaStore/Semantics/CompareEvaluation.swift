/// How etcd evaluates transaction compares (`apply.go: applyCompare, compareKV`).
public enum CompareEvaluation {
    /// True when `compare` holds for the keys its range selects. `kvs` are the live keys in
    /// the compare's range (one at most for a single-key compare). No keys → the compare sees
    /// a zero ``KeyValue``, except that a value compare is then false; otherwise every key must
    /// pass.
    public static func holds(_ compare: Compare, over kvs: [KeyValue]) -> Bool {
        if kvs.isEmpty {
            if case .value = compare.target { return false }
            return holds(compare, on: KeyValue(key: compare.key))
        }
        return kvs.allSatisfy { holds(compare, on: $0) }
    }

    /// True when `compare` holds for one key; `nil` means the key is missing.
    public static func holds(_ compare: Compare, on kv: KeyValue?) -> Bool {
        holds(compare, over: kv.map { [$0] } ?? [])
    }

    /// True when `compare` holds for this key-value (no missing-key rule).
    private static func holds(_ compare: Compare, on kv: KeyValue) -> Bool {
        let order: Int
        switch compare.target {
        case .version(let target): order = sign(kv.version, target)
        case .createRevision(let target): order = sign(kv.createRevision, target)
        case .modRevision(let target): order = sign(kv.modRevision, target)
        case .lease(let target): order = sign(kv.lease, target)
        case .value(let target):
            order = kv.value == target ? 0 : (kv.value.sortsBefore(target) ? -1 : 1)
        }
        switch compare.result {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .greater: return order > 0
        case .less: return order < 0
        }
    }

    private static func sign(_ lhs: Int64, _ rhs: Int64) -> Int {
        lhs == rhs ? 0 : (lhs < rhs ? -1 : 1)
    }
}
