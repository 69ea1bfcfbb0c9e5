/// etcd's stateless request checks (`v3rpc/key.go`): everything that can be rejected before
/// looking at the store. Every backend calls these first so that errors match etcd text for
/// text and in the same order.
public enum RequestValidation {
    /// A range needs a key.
    public static func validate(_ request: RangeRequest) throws(StoreError) {
        if request.key.isEmpty { throw .keyNotProvided }
    }

    /// A put needs a key; `ignoreValue` forbids a value and `ignoreLease` forbids a lease.
    public static func validate(_ request: PutRequest) throws(StoreError) {
        if request.key.isEmpty { throw .keyNotProvided }
        if request.ignoreValue && !request.value.isEmpty { throw .valueProvided }
        if request.ignoreLease && request.lease != 0 { throw .leaseProvided }
    }

    /// A delete needs a key.
    public static func validate(_ request: DeleteRangeRequest) throws(StoreError) {
        if request.key.isEmpty { throw .keyNotProvided }
    }

    /// A compare needs a key.
    public static func validate(_ compare: Compare) throws(StoreError) {
        if compare.key.isEmpty { throw .keyNotProvided }
    }

    /// A watch needs a key.
    public static func validate(_ request: WatchCreateRequest) throws(StoreError) {
        if request.key.isEmpty { throw .keyNotProvided }
    }

    /// Checks a transaction as etcd does, in etcd's order: operation counts (the largest of the
    /// compare list and the two branches must not exceed `maxOps`; nested transactions get
    /// the remaining budget), empty keys and put options, then duplicate keys in each branch
    /// (see ``duplicateKeys(in:)``).
    public static func validate(_ request: TxnRequest, maxOps: Int = StoreLimits.maxTxnOps) throws(StoreError) {
        try validateShape(request, budget: maxOps)
        try checkDuplicates(request.success)
        try checkDuplicates(request.failure)
    }

    private static func validateShape(_ request: TxnRequest, budget: Int) throws(StoreError) {
        let ops = max(request.compare.count, request.success.count, request.failure.count)
        if ops > budget { throw .tooManyOperations }
        for compare in request.compare { try validate(compare) }
        for op in request.success + request.failure {
            switch op {
            case .range(let range): try validate(range)
            case .put(let put): try validate(put)
            case .deleteRange(let delete): try validate(delete)
            case .txn(let nested): try validateShape(nested, budget: budget - ops)
            }
        }
    }

    /// Throws ``StoreError/duplicateKey`` when one branch puts a key twice or puts a key that
    /// one of its deletes covers, looking into nested transactions. A key put in both the
    /// success and failure branch of a nested transaction is fine (only one runs).
    public static func checkDuplicates(_ branch: [RequestOp]) throws(StoreError) {
        _ = try collectWrites(branch)
    }

    /// A delete's range: `key` plus `rangeEnd` with ``KeyRange`` rules.
    private struct DeletedRange {
        var key: Bytes
        var rangeEnd: Bytes
        func covers(_ candidate: Bytes) -> Bool { KeyRange.contains(candidate, key: key, rangeEnd: rangeEnd) }
    }

    private static func collectWrites(_ branch: [RequestOp]) throws(StoreError) -> (puts: Set<Bytes>, deletes: [DeletedRange]) {
        var deletes: [DeletedRange] = []
        for op in branch {
            if case .deleteRange(let delete) = op {
                deletes.append(DeletedRange(key: delete.key, rangeEnd: delete.rangeEnd))
            }
        }
        var puts: Set<Bytes> = []
        for op in branch {
            guard case .txn(let nested) = op else { continue }
            let then = try collectWrites(nested.success)
            let otherwise = try collectWrites(nested.failure)
            for key in then.puts {
                if puts.contains(key) || deletes.contains(where: { $0.covers(key) }) { throw .duplicateKey }
                puts.insert(key)
            }
            for key in otherwise.puts {
                if puts.contains(key) && !then.puts.contains(key) { throw .duplicateKey }
                if deletes.contains(where: { $0.covers(key) }) { throw .duplicateKey }
                puts.insert(key)
            }
            deletes += then.deletes + otherwise.deletes
        }
        for op in branch {
            guard case .put(let put) = op else { continue }
            if puts.contains(put.key) || deletes.contains(where: { $0.covers(put.key) }) { throw .duplicateKey }
            puts.insert(put.key)
        }
        return (puts, deletes)
    }
}
