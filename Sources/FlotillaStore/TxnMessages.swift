/// How a compare relates the stored value to the given one.
public enum CompareResult: Int, Sendable, Hashable {
    case equal = 0, greater = 1, less = 2, notEqual = 3
}

/// What a compare looks at, with the value to compare against.
public enum CompareTarget: Sendable, Hashable {
    case version(Int64)
    case createRevision(Int64)
    case modRevision(Int64)
    case value(Bytes)
    case lease(Int64)
}

/// One condition of a transaction (etcd `Compare`). A missing key compares as all zeros,
/// except that value compares on a missing key are false.
public struct Compare: Sendable, Hashable {
    /// The relation.
    public var result: CompareResult
    /// The field and the value.
    public var target: CompareTarget
    /// The key (required).
    public var key: Bytes
    /// With a range end, every key in the range must pass.
    public var rangeEnd: Bytes

    public init(key: Bytes, _ target: CompareTarget, _ result: CompareResult, rangeEnd: Bytes = []) {
        self.key = key
        self.target = target
        self.result = result
        self.rangeEnd = rangeEnd
    }
}

/// One operation of a transaction branch.
public indirect enum RequestOp: Sendable, Hashable {
    case range(RangeRequest)
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
}

/// The response to one operation, in branch order.
public indirect enum ResponseOp: Sendable, Hashable {
    case range(RangeResponse)
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
}

/// Compare, then run `success` or `failure` atomically (etcd `TxnRequest`).
public struct TxnRequest: Sendable, Hashable {
    /// Conditions, ANDed.
    public var compare: [Compare]
    /// Run when every compare holds.
    public var success: [RequestOp]
    /// Run otherwise.
    public var failure: [RequestOp]

    public init(compare: [Compare] = [], success: [RequestOp] = [], failure: [RequestOp] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

/// The result of a transaction.
public struct TxnResponse: Sendable, Hashable {
    /// Header; the revision moves by one when the branch wrote anything.
    public var header: ResponseHeader
    /// True when the success branch ran.
    public var succeeded: Bool
    /// Responses of the branch that ran.
    public var responses: [ResponseOp]

    public init(header: ResponseHeader, succeeded: Bool, responses: [ResponseOp]) {
        self.header = header
        self.succeeded = succeeded
        self.responses = responses
    }
}
