import Foundation
import FlotillaStore

// Requests, both directions: the server turns protobuf requests into store requests, the
// client turns store requests into protobuf requests. Unknown enum values fall back to etcd's
// defaults (NONE order, KEY target, EQUAL result) so garbage never crashes a handler.

extension RangeRequest {
    /// The store request a protobuf `RangeRequest` asks for.
    package init(proto p: Etcdserverpb_RangeRequest) {
        self.init(key: Bytes(p.key), rangeEnd: Bytes(p.rangeEnd), limit: p.limit, revision: p.revision,
                  sortOrder: SortOrder(rawValue: p.sortOrder.rawValue) ?? .none,
                  sortTarget: SortTarget(rawValue: p.sortTarget.rawValue) ?? .key,
                  serializable: p.serializable, keysOnly: p.keysOnly, countOnly: p.countOnly,
                  minModRevision: p.minModRevision, maxModRevision: p.maxModRevision,
                  minCreateRevision: p.minCreateRevision, maxCreateRevision: p.maxCreateRevision)
    }
}

extension Etcdserverpb_RangeRequest {
    /// The protobuf form of a store range request.
    package init(_ r: RangeRequest) {
        self.init()
        key = Data(r.key); rangeEnd = Data(r.rangeEnd); limit = r.limit; revision = r.revision
        sortOrder = .init(rawValue: r.sortOrder.rawValue) ?? .none
        sortTarget = .init(rawValue: r.sortTarget.rawValue) ?? .key
        serializable = r.serializable; keysOnly = r.keysOnly; countOnly = r.countOnly
        minModRevision = r.minModRevision; maxModRevision = r.maxModRevision
        minCreateRevision = r.minCreateRevision; maxCreateRevision = r.maxCreateRevision
    }
}

extension PutRequest {
    /// The store request a protobuf `PutRequest` asks for.
    package init(proto p: Etcdserverpb_PutRequest) {
        self.init(key: Bytes(p.key), value: Bytes(p.value), lease: p.lease, prevKV: p.prevKv,
                  ignoreValue: p.ignoreValue, ignoreLease: p.ignoreLease)
    }
}

extension Etcdserverpb_PutRequest {
    /// The protobuf form of a store put.
    package init(_ r: PutRequest) {
        self.init()
        key = Data(r.key); value = Data(r.value); lease = r.lease; prevKv = r.prevKV
        ignoreValue = r.ignoreValue; ignoreLease = r.ignoreLease
    }
}

extension DeleteRangeRequest {
    /// The store request a protobuf `DeleteRangeRequest` asks for.
    package init(proto p: Etcdserverpb_DeleteRangeRequest) {
        self.init(key: Bytes(p.key), rangeEnd: Bytes(p.rangeEnd), prevKV: p.prevKv)
    }
}

extension Etcdserverpb_DeleteRangeRequest {
    /// The protobuf form of a store delete.
    package init(_ r: DeleteRangeRequest) {
        self.init()
        key = Data(r.key); rangeEnd = Data(r.rangeEnd); prevKv = r.prevKV
    }
}

extension Compare {
    /// The store compare a protobuf `Compare` describes. The target enum picks the field; the
    /// union value defaults to zero/empty when missing, as in etcd.
    package init(proto p: Etcdserverpb_Compare) {
        let target: CompareTarget
        switch p.target {
        case .create: target = .createRevision(p.createRevision)
        case .mod: target = .modRevision(p.modRevision)
        case .value: target = .value(Bytes(p.value))
        case .lease: target = .lease(p.lease)
        default: target = .version(p.version)
        }
        self.init(key: Bytes(p.key), target, CompareResult(rawValue: p.result.rawValue) ?? .equal,
                  rangeEnd: Bytes(p.rangeEnd))
    }
}

extension Etcdserverpb_Compare {
    /// The protobuf form of a store compare (target enum and union value both set).
    package init(_ c: Compare) {
        self.init()
        key = Data(c.key); rangeEnd = Data(c.rangeEnd)
        result = .init(rawValue: c.result.rawValue) ?? .equal
        switch c.target {
        case .version(let v): target = .version; targetUnion = .version(v)
        case .createRevision(let v): target = .create; targetUnion = .createRevision(v)
        case .modRevision(let v): target = .mod; targetUnion = .modRevision(v)
        case .value(let v): target = .value; targetUnion = .value(Data(v))
        case .lease(let v): target = .lease; targetUnion = .lease(v)
        }
    }
}

extension RequestOp {
    /// The store operation a protobuf `RequestOp` holds; nil when the oneof is empty.
    package init?(proto p: Etcdserverpb_RequestOp) {
        switch p.request {
        case .requestRange(let r): self = .range(RangeRequest(proto: r))
        case .requestPut(let r): self = .put(PutRequest(proto: r))
        case .requestDeleteRange(let r): self = .deleteRange(DeleteRangeRequest(proto: r))
        case .requestTxn(let r): self = .txn(TxnRequest(proto: r))
        case nil: return nil
        }
    }
}

extension Etcdserverpb_RequestOp {
    /// The protobuf form of a store operation.
    package init(_ op: RequestOp) {
        self.init()
        switch op {
        case .range(let r): request = .requestRange(.init(r))
        case .put(let r): request = .requestPut(.init(r))
        case .deleteRange(let r): request = .requestDeleteRange(.init(r))
        case .txn(let r): request = .requestTxn(.init(r))
        }
    }
}

extension TxnRequest {
    /// The store transaction a protobuf `TxnRequest` describes (empty ops are dropped).
    package init(proto p: Etcdserverpb_TxnRequest) {
        self.init(compare: p.compare.map(Compare.init(proto:)),
                  success: p.success.compactMap(RequestOp.init(proto:)),
                  failure: p.failure.compactMap(RequestOp.init(proto:)))
    }
}

extension Etcdserverpb_TxnRequest {
    /// The protobuf form of a store transaction.
    package init(_ t: TxnRequest) {
        self.init()
        compare = t.compare.map(Etcdserverpb_Compare.init)
        success = t.success.map(Etcdserverpb_RequestOp.init)
        failure = t.failure.map(Etcdserverpb_RequestOp.init)
    }
}

extension WatchCreateRequest {
    /// The store watch a protobuf `WatchCreateRequest` asks for (`watch_id` and `fragment`
    /// are stream-level and handled by the server).
    package init(proto p: Etcdserverpb_WatchCreateRequest) {
        self.init(key: Bytes(p.key), rangeEnd: Bytes(p.rangeEnd), startRevision: p.startRevision,
                  progressNotify: p.progressNotify,
                  filters: Set(p.filters.compactMap { WatchFilter(rawValue: $0.rawValue) }),
                  prevKV: p.prevKv)
    }
}

extension Etcdserverpb_WatchCreateRequest {
    /// The protobuf form of a store watch, with an optional client-chosen watch ID (0 = auto).
    package init(_ w: WatchCreateRequest, watchID: Int64 = 0) {
        self.init()
        key = Data(w.key); rangeEnd = Data(w.rangeEnd); startRevision = w.startRevision
        progressNotify = w.progressNotify; prevKv = w.prevKV; self.watchID = watchID
        filters = w.filters.sorted { $0.rawValue < $1.rawValue }.compactMap { .init(rawValue: $0.rawValue) }
    }
}

extension CompactionRequest {
    /// The store compaction a protobuf `CompactionRequest` asks for.
    package init(proto p: Etcdserverpb_CompactionRequest) {
        self.init(revision: p.revision, physical: p.physical)
    }
}

extension Etcdserverpb_CompactionRequest {
    /// The protobuf form of a store compaction.
    package init(_ c: CompactionRequest) {
        self.init()
        revision = c.revision; physical = c.physical
    }
}
