/// Writes one key (etcd `PutRequest`).
public struct PutRequest: Sendable, Hashable {
    /// The key (required).
    public var key: Bytes
    /// The value.
    public var value: Bytes
    /// Lease to attach; 0 = none.
    public var lease: Int64
    /// Return the previous key-value.
    public var prevKV: Bool
    /// Keep the current value (the key must exist; `value` must be empty).
    public var ignoreValue: Bool
    /// Keep the current lease (the key must exist; `lease` must be 0).
    public var ignoreLease: Bool

    public init(key: Bytes, value: Bytes = [], lease: Int64 = 0, prevKV: Bool = false, ignoreValue: Bool = false, ignoreLease: Bool = false) {
        self.key = key
        self.value = value
        self.lease = lease
        self.prevKV = prevKV
        self.ignoreValue = ignoreValue
        self.ignoreLease = ignoreLease
    }
}

/// The result of a put.
public struct PutResponse: Sendable, Hashable {
    /// Header with the new revision.
    public var header: ResponseHeader
    /// The previous key-value when asked for and the key existed.
    public var prevKV: KeyValue?

    public init(header: ResponseHeader, prevKV: KeyValue? = nil) {
        self.header = header
        self.prevKV = prevKV
    }
}

/// Deletes a key or a range (etcd `DeleteRangeRequest`).
public struct DeleteRangeRequest: Sendable, Hashable {
    /// First key (required).
    public var key: Bytes
    /// Range end, as in ``RangeRequest``.
    public var rangeEnd: Bytes
    /// Return the deleted key-values.
    public var prevKV: Bool

    public init(key: Bytes, rangeEnd: Bytes = [], prevKV: Bool = false) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.prevKV = prevKV
    }
}

/// The result of a delete.
public struct DeleteRangeResponse: Sendable, Hashable {
    /// Header; the revision moves only when something was deleted.
    public var header: ResponseHeader
    /// Number of keys deleted.
    public var deleted: Int64
    /// The deleted key-values when asked for.
    public var prevKVs: [KeyValue]

    public init(header: ResponseHeader, deleted: Int64, prevKVs: [KeyValue] = []) {
        self.header = header
        self.deleted = deleted
        self.prevKVs = prevKVs
    }
}

/// Compacts history (etcd `CompactionRequest`).
public struct CompactionRequest: Sendable, Hashable {
    /// History before this revision is dropped.
    public var revision: Int64
    /// Wait until the space is reclaimed.
    public var physical: Bool

    public init(revision: Int64, physical: Bool = false) {
        self.revision = revision
        self.physical = physical
    }
}
