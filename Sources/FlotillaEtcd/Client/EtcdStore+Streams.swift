import Foundation
import FlotillaStore
import GRPCCore
import GRPCNIOTransportHTTP2

extension EtcdStore {
    /// Starts a watch on its own Watch stream and returns once the server confirmed it
    /// (`created`), so every write after this call is seen. Progress requests go over the same
    /// stream (the reply, watch ID -1, comes out as a ``WatchResponse`` without events). A
    /// compacted start revision ends the stream with ``StoreError/compacted(compactRevision:)``;
    /// other server-side cancels end it with the cancel reason; ``WatchStream/cancel()`` or
    /// cancelling the consumer closes the stream.
    public func watch(_ request: WatchCreateRequest) async throws -> WatchStream {
        let options = endpoints.options
        return try await endpoints.call(idempotent: true) { client in
            try await self.openWatch(request, client: client, options: options)
        }
    }

    private func openWatch(_ request: WatchCreateRequest, client: EtcdEndpoints.Client, options: CallOptions) async throws -> WatchStream {
        let (responses, output) = AsyncThrowingStream<WatchResponse, any Error>.makeStream()
        let (outbound, requests) = AsyncStream<Etcdserverpb_WatchRequest>.makeStream()
        let (ack, acknowledge) = AsyncThrowingStream<Void, any Error>.makeStream()
        var create = Etcdserverpb_WatchRequest()
        create.createRequest = Etcdserverpb_WatchCreateRequest(request)
        requests.yield(create)

        let watchClient = Etcdserverpb_Watch.Client(wrapping: client)
        let failUnstarted: @Sendable () -> Void = {
            let closed = StoreError.unavailable("etcd client: the store closed before the watch started")
            acknowledge.finish(throwing: closed)
            output.finish(throwing: closed)
        }
        // Dropped unrun (the store closed first), the closure releases this guard, which fails the wait below.
        let spawned = streams.spawnStoppable { [dropped = OnRelease(failUnstarted)] in
            _ = dropped
            do {
                try await watchClient.watch(options: options, requestProducer: { writer in
                    for await message in outbound { try await writer.write(message) }
                }, onResponse: { response in
                    var watchID: Int64?
                    for try await message in response.messages {
                        if message.created && watchID == nil {
                            if message.canceled {
                                throw StoreError(.failedPrecondition, message.cancelReason)
                            }
                            watchID = message.watchID
                            acknowledge.yield(); acknowledge.finish()
                            continue
                        }
                        if message.canceled {
                            if message.compactRevision != 0 { throw StoreError.compacted(compactRevision: message.compactRevision) }
                            if !message.cancelReason.isEmpty { throw StoreError(.cancelled, message.cancelReason) }
                            return
                        }
                        if message.watchID == -1 || message.watchID == watchID {
                            output.yield(WatchResponse(proto: message))
                        }
                    }
                })
                output.finish()
                acknowledge.finish()
            } catch {
                let storeError = StoreError.from(error)
                acknowledge.finish(throwing: storeError)
                output.finish(throwing: storeError)
            }
        }

        guard let stop = spawned else { throw StoreError.unavailable("etcd client: the store is closed") }
        let key = UUID()
        let stream = WatchStream(responses: responses, requestProgress: {
            var progress = Etcdserverpb_WatchRequest()
            progress.progressRequest = Etcdserverpb_WatchProgressRequest()
            requests.yield(progress)
        }, cancel: { [weak self] in
            requests.finish()
            stop()
            output.finish()
            _ = self?.watches.withLock { $0.removeValue(forKey: key) }
        })
        output.onTermination = { _ in
            requests.finish()
            stop()
        }
        do {
            var iterator = ack.makeAsyncIterator()
            guard try await iterator.next() != nil else {
                throw StoreError.unavailable("etcd client: watch stream closed before the watch was created")
            }
        } catch {
            stream.cancel()
            throw error
        }
        watches.withLock { $0[key] = stream }
        return stream
    }

    /// Renews a lease over a short LeaseKeepAlive stream: one request, one answer. An unknown
    /// lease answers TTL 0 (as etcd does); callers renewing often may prefer a long-lived
    /// stream, which this store doesn't keep yet.
    public func leaseKeepAlive(id: Int64) async throws -> LeaseKeepAliveResponse {
        let options = endpoints.options
        return try await endpoints.call(idempotent: true) { client in
            try await lease(client).leaseKeepAlive(options: options, requestProducer: { writer in
                try await writer.write(.with { $0.id = id })
            }, onResponse: { response in
                for try await message in response.messages {
                    return LeaseKeepAliveResponse(header: ResponseHeader(revision: message.header.revision),
                                                  id: message.id, ttl: message.ttl)
                }
                throw StoreError.unavailable("etcd client: keep-alive stream closed without an answer")
            })
        }
    }
}
