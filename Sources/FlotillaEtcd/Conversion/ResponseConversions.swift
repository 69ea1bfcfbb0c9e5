import Foundation
import FlotillaStore

/// The identity fields a server puts in every response header: etcd clients print them and
/// use `member_id` to match `Status.leader`.
package struct HeaderStamp: Sendable, Hashable {
    /// Cluster ID (stable, non-zero).
    package var clusterID: UInt64
    /// Member ID (stable, non-zero).
    package var memberID: UInt64
    /// Raft term; a single node never changes leader, so this stays 1.
    package var raftTerm: UInt64

    package init(clusterID: UInt64, memberID: UInt64, raftTerm: UInt64 = 1) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.raftTerm = raftTerm
    }

    /// A protobuf header at `revision`.
    package func header(_ revision: Int64) -> Etcdserverpb_ResponseHeader {
        var h = Etcdserverpb_ResponseHeader()
        h.clusterID = clusterID; h.memberID = memberID; h.revision = revision; h.raftTerm = raftTerm
        return h
    }

    /// A protobuf header for a store header.
    package func header(_ h: ResponseHeader) -> Etcdserverpb_ResponseHeader { header(h.revision) }

    /// The stamp of the responses inside a transaction: etcd fills in cluster, member and
    /// term only on the top-level header, so inner headers carry just their revision.
    package static let inner = HeaderStamp(clusterID: 0, memberID: 0, raftTerm: 0)
}

extension KeyValue {
    /// A store key-value from its protobuf form.
    package init(proto p: Mvccpb_KeyValue) {
        self.init(key: Bytes(p.key), createRevision: p.createRevision, modRevision: p.modRevision,
                  version: p.version, value: Bytes(p.value), lease: p.lease)
    }
}

extension Mvccpb_KeyValue {
    /// The protobuf form of a store key-value.
    package init(_ kv: KeyValue) {
        self.init()
        key = Data(kv.key); createRevision = kv.createRevision; modRevision = kv.modRevision
        version = kv.version; value = Data(kv.value); lease = kv.lease
    }
}

extension Event {
    /// A store event from its protobuf form.
    package init(proto p: Mvccpb_Event) {
        self.init(type: p.type == .delete ? .delete : .put, kv: KeyValue(proto: p.kv),
                  prevKV: p.hasPrevKv ? KeyValue(proto: p.prevKv) : nil)
    }
}

extension Mvccpb_Event {
    /// The protobuf form of a store event.
    package init(_ e: Event) {
        self.init()
        type = e.type == .delete ? .delete : .put
        kv = Mvccpb_KeyValue(e.kv)
        if let prev = e.prevKV { prevKv = Mvccpb_KeyValue(prev) }
    }
}

extension RangeResponse {
    /// A store range response from its protobuf form.
    package init(proto p: Etcdserverpb_RangeResponse) {
        self.init(header: ResponseHeader(revision: p.header.revision), kvs: p.kvs.map(KeyValue.init(proto:)),
                  more: p.more, count: p.count)
    }
}

extension Etcdserverpb_RangeResponse {
    /// The protobuf form of a store range response.
    package init(_ r: RangeResponse, stamp: HeaderStamp) {
        self.init()
        header = stamp.header(r.header); kvs = r.kvs.map(Mvccpb_KeyValue.init); more = r.more; count = r.count
    }
}

extension PutResponse {
    /// A store put response from its protobuf form.
    package init(proto p: Etcdserverpb_PutResponse) {
        self.init(header: ResponseHeader(revision: p.header.revision),
                  prevKV: p.hasPrevKv ? KeyValue(proto: p.prevKv) : nil)
    }
}

extension Etcdserverpb_PutResponse {
    /// The protobuf form of a store put response.
    package init(_ r: PutResponse, stamp: HeaderStamp) {
        self.init()
        header = stamp.header(r.header)
        if let prev = r.prevKV { prevKv = Mvccpb_KeyValue(prev) }
    }
}

extension DeleteRangeResponse {
    /// A store delete response from its protobuf form.
    package init(proto p: Etcdserverpb_DeleteRangeResponse) {
        self.init(header: ResponseHeader(revision: p.header.revision), deleted: p.deleted,
                  prevKVs: p.prevKvs.map(KeyValue.init(proto:)))
    }
}

extension Etcdserverpb_DeleteRangeResponse {
    /// The protobuf form of a store delete response.
    package init(_ r: DeleteRangeResponse, stamp: HeaderStamp) {
        self.init()
        header = stamp.header(r.header); deleted = r.deleted; prevKvs = r.prevKVs.map(Mvccpb_KeyValue.init)
    }
}

extension ResponseOp {
    /// A store operation response from its protobuf form; nil when the oneof is empty.
    package init?(proto p: Etcdserverpb_ResponseOp) {
        switch p.response {
        case .responseRange(let r): self = .range(RangeResponse(proto: r))
        case .responsePut(let r): self = .put(PutResponse(proto: r))
        case .responseDeleteRange(let r): self = .deleteRange(DeleteRangeResponse(proto: r))
        case .responseTxn(let r): self = .txn(TxnResponse(proto: r))
        case nil: return nil
        }
    }
}

extension Etcdserverpb_ResponseOp {
    /// The protobuf form of a store operation response (`stamp` is ``HeaderStamp/inner``
    /// inside a transaction).
    package init(_ op: ResponseOp, stamp: HeaderStamp) {
        self.init()
        switch op {
        case .range(let r): response = .responseRange(.init(r, stamp: stamp))
        case .put(let r): response = .responsePut(.init(r, stamp: stamp))
        case .deleteRange(let r): response = .responseDeleteRange(.init(r, stamp: stamp))
        case .txn(let r): response = .responseTxn(.init(r, stamp: stamp, inner: r.responses))
        }
    }
}

extension TxnResponse {
    /// A store transaction response from its protobuf form.
    package init(proto p: Etcdserverpb_TxnResponse) {
        self.init(header: ResponseHeader(revision: p.header.revision), succeeded: p.succeeded,
                  responses: p.responses.compactMap(ResponseOp.init(proto:)))
    }
}

extension Etcdserverpb_TxnResponse {
    /// The protobuf form of a store transaction response. The operation responses get
    /// etcd's inner headers: the revision each operation saw (``TxnRevisions``) and nothing
    /// else; a nested transaction's header is empty.
    package init(_ r: TxnResponse, stamp: HeaderStamp) {
        self.init(r, stamp: stamp, inner: TxnRevisions.stamped(r.responses, finalRevision: r.header.revision))
    }

    /// A transaction response whose operation responses are already stamped.
    fileprivate init(_ r: TxnResponse, stamp: HeaderStamp, inner: [ResponseOp]) {
        self.init()
        header = stamp.header(r.header); succeeded = r.succeeded
        responses = inner.map { Etcdserverpb_ResponseOp($0, stamp: .inner) }
    }
}

extension WatchResponse {
    /// A store watch response (events or progress) from its protobuf form.
    package init(proto p: Etcdserverpb_WatchResponse) {
        self.init(header: ResponseHeader(revision: p.header.revision), events: p.events.map(Event.init(proto:)))
    }
}

extension Etcdserverpb_WatchResponse {
    /// The protobuf form of a store watch response for the watch `watchID`.
    package init(_ r: WatchResponse, watchID: Int64, stamp: HeaderStamp) {
        self.init()
        header = stamp.header(r.header); self.watchID = watchID; events = r.events.map(Mvccpb_Event.init)
    }
}
