/// One key at one revision (etcd `mvccpb.KeyValue`).
public struct KeyValue: Sendable, Hashable {
    /// The key.
    public var key: Bytes
    /// Revision of the key's creation (since its last delete).
    public var createRevision: Int64
    /// Revision of its last modification.
    public var modRevision: Int64
    /// Number of modifications since creation (1 on creation).
    public var version: Int64
    /// The value (empty for keys-only reads and delete events).
    public var value: Bytes
    /// Attached lease ID, 0 when none.
    public var lease: Int64

    /// Creates a key-value.
    public init(key: Bytes, createRevision: Int64 = 0, modRevision: Int64 = 0, version: Int64 = 0, value: Bytes = [], lease: Int64 = 0) {
        self.key = key
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.value = value
        self.lease = lease
    }
}

/// Metadata every response carries. `revision` is the store revision after the request (for
/// reads, the current revision, even for a historical read).
public struct ResponseHeader: Sendable, Hashable {
    /// Store revision.
    public var revision: Int64

    public init(revision: Int64) { self.revision = revision }
}
