/// The result of granting a lease.
public struct LeaseGrantResponse: Sendable, Hashable {
    /// Header with the store revision.
    public var header: ResponseHeader
    /// The lease ID.
    public var id: Int64
    /// The granted TTL in seconds (at least the store's minimum).
    public var ttl: Int64

    public init(header: ResponseHeader, id: Int64, ttl: Int64) {
        self.header = header
        self.id = id
        self.ttl = ttl
    }
}

/// The result of a keep-alive.
public struct LeaseKeepAliveResponse: Sendable, Hashable {
    /// Header with the store revision.
    public var header: ResponseHeader
    /// The lease ID.
    public var id: Int64
    /// The renewed TTL; 0 when the lease is unknown or expired.
    public var ttl: Int64

    public init(header: ResponseHeader, id: Int64, ttl: Int64) {
        self.header = header
        self.id = id
        self.ttl = ttl
    }
}

/// A lease's remaining life.
public struct LeaseTimeToLiveResponse: Sendable, Hashable {
    /// Header with the store revision.
    public var header: ResponseHeader
    /// The lease ID.
    public var id: Int64
    /// Remaining seconds; -1 when unknown or expired.
    public var ttl: Int64
    /// The TTL it was granted with.
    public var grantedTTL: Int64
    /// Attached keys, when asked for.
    public var keys: [Bytes]

    public init(header: ResponseHeader, id: Int64, ttl: Int64, grantedTTL: Int64, keys: [Bytes] = []) {
        self.header = header
        self.id = id
        self.ttl = ttl
        self.grantedTTL = grantedTTL
        self.keys = keys
    }
}

/// Every live lease.
public struct LeaseLeasesResponse: Sendable, Hashable {
    /// Header with the store revision.
    public var header: ResponseHeader
    /// Lease IDs.
    public var leases: [Int64]

    public init(header: ResponseHeader, leases: [Int64]) {
        self.header = header
        self.leases = leases
    }
}

/// Store status (etcd `StatusResponse`, the fields that mean something here).
public struct StoreStatus: Sendable, Hashable {
    /// Header with the store revision.
    public var header: ResponseHeader
    /// Server version text (e.g. `3.4.23` for etcd; Flotilla's embedded store reports the etcd
    /// API version it implements).
    public var version: String
    /// Bytes the database takes on disk.
    public var dbSize: Int64
    /// Bytes in use.
    public var dbSizeInUse: Int64
    /// Current compaction revision (0 before any compaction).
    public var compactRevision: Int64

    public init(header: ResponseHeader, version: String, dbSize: Int64, dbSizeInUse: Int64, compactRevision: Int64 = 0) {
        self.header = header
        self.version = version
        self.dbSize = dbSize
        self.dbSizeInUse = dbSizeInUse
        self.compactRevision = compactRevision
    }
}
