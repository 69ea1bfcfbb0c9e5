/// Result ordering of a range read.
public enum SortOrder: Int, Sendable, Hashable {
    /// Key-ascending (unless a non-key target is set, which then means ascending).
    case none = 0
    /// Ascending by the target.
    case ascend = 1
    /// Descending by the target.
    case descend = 2
}

/// What a range read sorts by.
public enum SortTarget: Int, Sendable, Hashable {
    case key = 0, version = 1, create = 2, mod = 3, value = 4
}

/// A read of one key, a range, or everything (etcd `RangeRequest`).
public struct RangeRequest: Sendable, Hashable {
    /// First key (required).
    public var key: Bytes
    /// End of the range, exclusive; see ``KeyRange/contains(_:key:rangeEnd:)``.
    public var rangeEnd: Bytes
    /// At most this many results; 0 = no limit.
    public var limit: Int64
    /// Read at this revision; 0 = current.
    public var revision: Int64
    /// Ordering.
    public var sortOrder: SortOrder
    /// Sort key.
    public var sortTarget: SortTarget
    /// Serializable read (accepted; meaningless on one node).
    public var serializable: Bool
    /// Omit values.
    public var keysOnly: Bool
    /// Return only the count.
    public var countOnly: Bool
    /// Filters on revisions; 0 = no filter.
    public var minModRevision: Int64
    public var maxModRevision: Int64
    public var minCreateRevision: Int64
    public var maxCreateRevision: Int64

    public init(key: Bytes, rangeEnd: Bytes = [], limit: Int64 = 0, revision: Int64 = 0,
                sortOrder: SortOrder = .none, sortTarget: SortTarget = .key, serializable: Bool = false,
                keysOnly: Bool = false, countOnly: Bool = false,
                minModRevision: Int64 = 0, maxModRevision: Int64 = 0,
                minCreateRevision: Int64 = 0, maxCreateRevision: Int64 = 0) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.limit = limit
        self.revision = revision
        self.sortOrder = sortOrder
        self.sortTarget = sortTarget
        self.serializable = serializable
        self.keysOnly = keysOnly
        self.countOnly = countOnly
        self.minModRevision = minModRevision
        self.maxModRevision = maxModRevision
        self.minCreateRevision = minCreateRevision
        self.maxCreateRevision = maxCreateRevision
    }

    /// Every key starting with `prefix`.
    public static func prefix(_ prefix: Bytes) -> RangeRequest {
        RangeRequest(key: prefix.isEmpty ? [0] : prefix, rangeEnd: KeyRange.prefixEnd(prefix))
    }
}

/// The result of a range read.
public struct RangeResponse: Sendable, Hashable {
    /// Header; `revision` is the current revision.
    public var header: ResponseHeader
    /// Matching keys, after sort and limit.
    public var kvs: [KeyValue]
    /// True when the limit cut results off.
    public var more: Bool
    /// Keys in the range before limit and before the revision filters.
    public var count: Int64

    public init(header: ResponseHeader, kvs: [KeyValue], more: Bool, count: Int64) {
        self.header = header
        self.kvs = kvs
        self.more = more
        self.count = count
    }
}
