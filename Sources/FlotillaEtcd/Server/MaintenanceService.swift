import Foundation
import FlotillaStore
import GRPCCore

/// What the server says about itself in Status and MemberList.
struct ServerIdentity: Sendable {
    let stamp: HeaderStamp
    let name: String
    let version: String
    let peerURLs: [String]
    /// Configured client URLs; empty = `<scheme>://host:<bound port>`.
    let configuredClientURLs: [String]
    let host: String
    let boundPort: @Sendable () -> Int
    /// `http`, or `https` when the server speaks TLS.
    let scheme: String

    var clientURLs: [String] {
        configuredClientURLs.isEmpty ? ["\(scheme)://\(host):\(boundPort())"] : configuredClientURLs
    }
}

/// etcd `Cluster`: MemberList with this one member.
struct ClusterService: Etcdserverpb_Cluster.SimpleServiceProtocol {
    let store: any KeyValueStore
    let identity: ServerIdentity

    func memberList(request: Etcdserverpb_MemberListRequest, context: ServerContext) async throws -> Etcdserverpb_MemberListResponse {
        try await withEtcdErrors {
            var member = Etcdserverpb_Member()
            member.id = identity.stamp.memberID; member.name = identity.name
            member.peerUrls = identity.peerURLs; member.clientUrls = identity.clientURLs
            var response = Etcdserverpb_MemberListResponse()
            // etcd's cluster RPCs stamp cluster, member and term but no revision.
            response.header = identity.stamp.header(0)
            response.members = [member]
            return response
        }
    }
}

/// etcd `Maintenance`: Status, Alarm (always none), Defragment (no-op), Hash/HashKV (CRC-32
/// over the live key-values; comparable between Flotilla servers, not with etcd's own
/// hash), Snapshot (from a store that is a ``SnapshotSource``, see ``SnapshotStreaming``;
/// Unimplemented otherwise).
struct MaintenanceService: Etcdserverpb_Maintenance.SimpleServiceProtocol {
    let store: any KeyValueStore
    let identity: ServerIdentity

    func alarm(request: Etcdserverpb_AlarmRequest, context: ServerContext) async throws -> Etcdserverpb_AlarmResponse {
        try await withEtcdErrors {
            // etcd answers Alarm with no header (`etcdctl alarm list -w json` prints {}).
            _ = try await currentRevision(store)
            return Etcdserverpb_AlarmResponse()
        }
    }

    func status(request: Etcdserverpb_StatusRequest, context: ServerContext) async throws -> Etcdserverpb_StatusResponse {
        try await withEtcdErrors {
            let status = try await store.status()
            let revision = UInt64(max(0, status.header.revision))
            var response = Etcdserverpb_StatusResponse()
            response.header = identity.stamp.header(status.header)
            response.version = identity.version
            response.dbSize = status.dbSize; response.dbSizeInUse = status.dbSizeInUse
            response.leader = identity.stamp.memberID
            response.raftIndex = revision; response.raftAppliedIndex = revision
            response.raftTerm = identity.stamp.raftTerm
            return response
        }
    }

    func defragment(request: Etcdserverpb_DefragmentRequest, context: ServerContext) async throws -> Etcdserverpb_DefragmentResponse {
        try await withEtcdErrors {
            // etcd answers Defragment with no header.
            _ = try await currentRevision(store)
            return Etcdserverpb_DefragmentResponse()
        }
    }

    func hash(request: Etcdserverpb_HashRequest, context: ServerContext) async throws -> Etcdserverpb_HashResponse {
        try await withEtcdErrors {
            let (revision, hash, _) = try await hashKeyValues(at: 0)
            var response = Etcdserverpb_HashResponse()
            response.header = identity.stamp.header(revision); response.hash = hash
            return response
        }
    }

    func hashKV(request: Etcdserverpb_HashKVRequest, context: ServerContext) async throws -> Etcdserverpb_HashKVResponse {
        try await withEtcdErrors {
            let (revision, hash, compactRevision) = try await hashKeyValues(at: request.revision)
            var response = Etcdserverpb_HashKVResponse()
            response.header = identity.stamp.header(revision); response.hash = hash
            response.compactRevision = compactRevision
            return response
        }
    }

    func snapshot(request: Etcdserverpb_SnapshotRequest, response: RPCWriter<Etcdserverpb_SnapshotResponse>,
                  context: ServerContext) async throws {
        guard let source = store as? any SnapshotSource else {
            throw RPCError(code: .unimplemented,
                           message: "flotilla: this store cannot take snapshots (only the embedded SQLite store can); back up the data another way")
        }
        let snapshot = try await withEtcdErrors { try await source.snapshot() }
        try await withEtcdErrors { try await SnapshotStreaming.send(snapshot, stamp: identity.stamp, to: response) }
    }

    /// CRC-32 over every live key and value at `revision` (0 = current), and the compact
    /// revision (-1 before any compaction, as etcd reports).
    private func hashKeyValues(at revision: Int64) async throws -> (Int64, UInt32, Int64) {
        let status = try await store.status()
        let all = try await store.range(RangeRequest(key: KeyRange.allFromKey, rangeEnd: KeyRange.allFromKey, revision: revision))
        var crc = CRC32()
        for kv in all.kvs {
            crc.update(kv.key); crc.update(kv.value)
        }
        return (all.header.revision, crc.value, status.compactRevision == 0 ? -1 : status.compactRevision)
    }
}

/// The store's current revision, from the cheapest read there is (one key that never exists).
func currentRevision(_ store: any KeyValueStore) async throws -> Int64 {
    try await store.range(RangeRequest(key: [0])).header.revision
}

/// CRC-32 (IEEE polynomial, reflected), the checksum etcd uses for HashKV.
struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
    private var state: UInt32 = 0xFFFF_FFFF

    /// Adds bytes.
    mutating func update(_ bytes: Bytes) {
        for b in bytes { state = CRC32.table[Int((state ^ UInt32(b)) & 0xff)] ^ (state >> 8) }
    }

    /// The checksum so far.
    var value: UInt32 { state ^ 0xFFFF_FFFF }
}
