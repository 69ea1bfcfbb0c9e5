/// etcd's state-dependent checks made before a write is applied (`apply.go: checkRequestPut,
/// checkRequestRange, checkRequests`). They read the store through a ``StoreView`` so any
/// backend can run them inside its own transaction; nothing is applied when one fails.
public enum WritePreflight {
    /// What the checks need to know about the store before the write.
    public struct StoreView {
        /// The live key-value of a key at the current revision, nil when missing.
        public var lookup: (Bytes) throws -> KeyValue?
        /// The live keys of a range at the current revision, key-ascending (for compares).
        public var rangeLookup: (_ key: Bytes, _ rangeEnd: Bytes) throws -> [KeyValue]
        /// True when the lease exists and has not expired.
        public var leaseExists: (Int64) throws -> Bool
        /// Current store revision.
        public var currentRevision: Int64
        /// Compaction revision, 0 when never compacted.
        public var compactRevision: Int64

        public init(lookup: @escaping (Bytes) throws -> KeyValue?,
                    rangeLookup: @escaping (_ key: Bytes, _ rangeEnd: Bytes) throws -> [KeyValue],
                    leaseExists: @escaping (Int64) throws -> Bool,
                    currentRevision: Int64, compactRevision: Int64) {
            self.lookup = lookup
            self.rangeLookup = rangeLookup
            self.leaseExists = leaseExists
            self.currentRevision = currentRevision
            self.compactRevision = compactRevision
        }
    }

    /// A plain put: an unknown lease is ``StoreError/leaseNotFound``; `ignoreValue` or
    /// `ignoreLease` on a missing key is ``StoreError/keyNotFound``. Returns the existing kv.
    @discardableResult
    public static func checkPut(_ request: PutRequest, in view: StoreView) throws -> KeyValue? {
        if request.lease != 0, try !view.leaseExists(request.lease) { throw StoreError.leaseNotFound }
        let existing = try view.lookup(request.key)
        if (request.ignoreValue || request.ignoreLease) && existing == nil { throw StoreError.keyNotFound }
        return existing
    }

    /// True when every compare holds (``CompareEvaluation``) against the view.
    public static func comparesHold(_ compares: [Compare], in view: StoreView) throws -> Bool {
        for compare in compares {
            let kvs = compare.rangeEnd.isEmpty
                ? (try view.lookup(compare.key)).map { [$0] } ?? []
                : try view.rangeLookup(compare.key, compare.rangeEnd)
            if !CompareEvaluation.holds(compare, over: kvs) { return false }
        }
        return true
    }

    /// Decides which branch a transaction runs and checks it, all against the same
    /// pre-transaction view (as etcd does before applying anything): compares pick the branch
    /// at every nesting level; in the chosen branches, puts need their key for
    /// `ignoreValue`/`ignoreLease` and an existing lease, ranges need a readable revision.
    /// Call after `RequestValidation.validate(_: TxnRequest, maxOps:)`.
    public static func plan(_ request: TxnRequest, in view: StoreView) throws -> TxnPlan {
        let succeeded = try comparesHold(request.compare, in: view)
        var nested: [TxnPlan] = []
        for op in succeeded ? request.success : request.failure {
            switch op {
            case .put(let put):
                if put.ignoreValue || put.ignoreLease, try view.lookup(put.key) == nil { throw StoreError.keyNotFound }
                if put.lease != 0, try !view.leaseExists(put.lease) { throw StoreError.leaseNotFound }
            case .range(let range):
                try RevisionRules.checkRead(range.revision, current: view.currentRevision, compactRevision: view.compactRevision)
            case .deleteRange:
                break
            case .txn(let inner):
                nested.append(try plan(inner, in: view))
            }
        }
        return TxnPlan(succeeded: succeeded, nested: nested)
    }
}

/// Which branches a transaction takes, decided before it is applied.
public struct TxnPlan: Sendable, Hashable {
    /// True when the success branch runs.
    public var succeeded: Bool
    /// Plans of the nested transactions of the chosen branch, in branch order.
    public var nested: [TxnPlan]

    public init(succeeded: Bool, nested: [TxnPlan] = []) {
        self.succeeded = succeeded
        self.nested = nested
    }
}
