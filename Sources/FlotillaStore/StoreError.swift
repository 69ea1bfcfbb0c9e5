/// A store failure with etcd's gRPC status code and exact message text (clients match on the
/// text, as etcd's own client does).
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// gRPC status codes that etcd uses.
    public enum Code: Int, Sendable, Hashable {
        case invalidArgument = 3, notFound = 5, failedPrecondition = 9, resourceExhausted = 8,
             outOfRange = 11, unavailable = 14, `internal` = 13, cancelled = 1, deadlineExceeded = 4
    }

    /// Status code.
    public var code: Code
    /// etcd's message, byte for byte.
    public var message: String
    /// For ``compacted(compactRevision:)``: the store's compaction revision.
    public var compactRevision: Int64

    public init(_ code: Code, _ message: String, compactRevision: Int64 = 0) {
        self.code = code
        self.message = message
        self.compactRevision = compactRevision
    }

    public var description: String { message }

    public static let keyNotProvided = StoreError(.invalidArgument, "etcdserver: key is not provided")
    public static let tooManyOperations = StoreError(.invalidArgument, "etcdserver: too many operations in txn request")
    public static let duplicateKey = StoreError(.invalidArgument, "etcdserver: duplicate key given in txn request")
    public static let keyNotFound = StoreError(.invalidArgument, "etcdserver: key not found")
    public static let valueProvided = StoreError(.invalidArgument, "etcdserver: value is provided")
    public static let leaseProvided = StoreError(.invalidArgument, "etcdserver: lease is provided")
    public static let requestTooLarge = StoreError(.invalidArgument, "etcdserver: request is too large")
    public static let leaseNotFound = StoreError(.notFound, "etcdserver: requested lease not found")
    public static let leaseExists = StoreError(.failedPrecondition, "etcdserver: lease already exists")
    public static let leaseTTLTooLarge = StoreError(.outOfRange, "etcdserver: too large lease TTL")
    public static let futureRevision = StoreError(.outOfRange, "etcdserver: mvcc: required revision is a future revision")

    /// The requested revision is older than the compaction revision.
    public static func compacted(compactRevision: Int64) -> StoreError {
        StoreError(.outOfRange, "etcdserver: mvcc: required revision has been compacted", compactRevision: compactRevision)
    }

    /// The store is closed or unreachable.
    public static func unavailable(_ detail: String) -> StoreError { StoreError(.unavailable, detail) }
}

/// Limits etcd enforces by default.
public enum StoreLimits {
    /// Operations per compare list or branch of a transaction (`--max-txn-ops`).
    public static let maxTxnOps = 128
    /// Bytes per request (`--max-request-bytes`).
    public static let maxRequestBytes = 1_572_864
    /// Minimum lease TTL in seconds (etcd: ceil(1.5 × election timeout)).
    public static let minLeaseTTL: Int64 = 2
    /// Maximum lease TTL in seconds.
    public static let maxLeaseTTL: Int64 = 9_000_000_000
}
