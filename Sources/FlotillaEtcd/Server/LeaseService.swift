import Foundation
import FlotillaStore
import GRPCCore

/// etcd `Lease` over any store. KeepAlive answers each request on the stream in order; an
/// unknown lease gets TTL 0, as etcd does.
struct LeaseService: Etcdserverpb_Lease.SimpleServiceProtocol {
    let store: any KeyValueStore
    let stamp: HeaderStamp

    func leaseGrant(request: Etcdserverpb_LeaseGrantRequest, context: ServerContext) async throws -> Etcdserverpb_LeaseGrantResponse {
        try await withEtcdErrors {
            let granted = try await store.leaseGrant(ttl: request.ttl, id: request.id)
            var response = Etcdserverpb_LeaseGrantResponse()
            response.header = stamp.header(granted.header); response.id = granted.id; response.ttl = granted.ttl
            return response
        }
    }

    func leaseRevoke(request: Etcdserverpb_LeaseRevokeRequest, context: ServerContext) async throws -> Etcdserverpb_LeaseRevokeResponse {
        try await withEtcdErrors {
            var response = Etcdserverpb_LeaseRevokeResponse()
            response.header = stamp.header(try await store.leaseRevoke(id: request.id))
            return response
        }
    }

    func leaseKeepAlive(request: RPCAsyncSequence<Etcdserverpb_LeaseKeepAliveRequest, any Error>,
                        response: RPCWriter<Etcdserverpb_LeaseKeepAliveResponse>, context: ServerContext) async throws {
        do {
            for try await message in request {
                let renewed = try await withEtcdErrors { try await store.leaseKeepAlive(id: message.id) }
                var reply = Etcdserverpb_LeaseKeepAliveResponse()
                reply.header = stamp.header(renewed.header); reply.id = renewed.id; reply.ttl = renewed.ttl
                try await response.write(reply)
            }
        } catch let error as RPCError where error.code != .cancelled {
            throw error
        } catch {
            // The client went away mid-stream: nothing to answer.
        }
    }

    func leaseTimeToLive(request: Etcdserverpb_LeaseTimeToLiveRequest, context: ServerContext) async throws -> Etcdserverpb_LeaseTimeToLiveResponse {
        try await withEtcdErrors {
            let life = try await store.leaseTimeToLive(id: request.id, keys: request.keys)
            var response = Etcdserverpb_LeaseTimeToLiveResponse()
            response.header = stamp.header(life.header); response.id = life.id; response.ttl = life.ttl
            response.grantedTtl = life.grantedTTL; response.keys = life.keys.map { Data($0) }
            return response
        }
    }

    func leaseLeases(request: Etcdserverpb_LeaseLeasesRequest, context: ServerContext) async throws -> Etcdserverpb_LeaseLeasesResponse {
        try await withEtcdErrors {
            let all = try await store.leaseLeases()
            var response = Etcdserverpb_LeaseLeasesResponse()
            response.header = stamp.header(all.header)
            response.leases = all.leases.map { id in var s = Etcdserverpb_LeaseStatus(); s.id = id; return s }
            return response
        }
    }
}
