import FlotillaStore
import GRPCCore
import SwiftProtobuf

/// etcd `KV` over any store: Range, Put, DeleteRange, Txn, Compact.
struct KVService: Etcdserverpb_KV.SimpleServiceProtocol {
    let store: any KeyValueStore
    let stamp: HeaderStamp

    func range(request: Etcdserverpb_RangeRequest, context: ServerContext) async throws -> Etcdserverpb_RangeResponse {
        try await withEtcdErrors {
            Etcdserverpb_RangeResponse(try await store.range(RangeRequest(proto: request)), stamp: stamp)
        }
    }

    func put(request: Etcdserverpb_PutRequest, context: ServerContext) async throws -> Etcdserverpb_PutResponse {
        try await withEtcdErrors {
            let payload = request.key.count + request.value.count + request.unknownFields.data.count
            if payload > StoreLimits.maxRequestBytes - putOverheadBound {
                try checkRequestSize(request)
            }
            return Etcdserverpb_PutResponse(try await store.put(PutRequest(proto: request)), stamp: stamp)
        }
    }

    func deleteRange(request: Etcdserverpb_DeleteRangeRequest, context: ServerContext) async throws -> Etcdserverpb_DeleteRangeResponse {
        try await withEtcdErrors {
            Etcdserverpb_DeleteRangeResponse(try await store.deleteRange(DeleteRangeRequest(proto: request)), stamp: stamp)
        }
    }

    func txn(request: Etcdserverpb_TxnRequest, context: ServerContext) async throws -> Etcdserverpb_TxnResponse {
        try await withEtcdErrors {
            try checkRequestSize(request)
            return Etcdserverpb_TxnResponse(try await store.txn(TxnRequest(proto: request)), stamp: stamp)
        }
    }

    func compact(request: Etcdserverpb_CompactionRequest, context: ServerContext) async throws -> Etcdserverpb_CompactionResponse {
        try await withEtcdErrors {
            let header = try await store.compact(CompactionRequest(proto: request))
            var response = Etcdserverpb_CompactionResponse()
            response.header = stamp.header(header)
            return response
        }
    }
}

/// The most a `PutRequest` encodes to beyond its key, value and unknown-field bytes: tags,
/// two length varints, a lease varint and four bools. Below the limit by at least this much, a put
/// is small enough without encoding it again (`etcdctl check perf` sends thousands a second).
let putOverheadBound = 64

/// etcd rejects a write whose encoding exceeds `--max-request-bytes` (1.5 MiB) with
/// InvalidArgument "etcdserver: request is too large". Larger messages (over the gRPC receive
/// limit of 1.5 MiB + 512 KiB) never get here: the transport answers RESOURCE_EXHAUSTED.
func checkRequestSize(_ message: some SwiftProtobuf.Message) throws {
    let size = (try? message.serializedBytes() as [UInt8])?.count ?? 0
    if size > StoreLimits.maxRequestBytes { throw StoreError.requestTooLarge }
}
