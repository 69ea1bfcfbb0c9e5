import FlotillaTesting
import Foundation
import FlotillaEtcd
import FlotillaStore
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import Testing

/// The gRPC health service (`grpc.health.v1.Health`) of ``EtcdServer``, called with the
/// generated client over a real loopback connection.
@Suite struct EtcdServerHealthTests {
    private typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    @Test func checkAnswersServingForTheServerAndEachEtcdService() async throws {
        try await withEtcdServer { _, port, _ in
            try await withHealthClient(port) { health in
                for service in ["", "etcdserverpb.KV", "etcdserverpb.Watch", "etcdserverpb.Lease",
                                "etcdserverpb.Cluster", "etcdserverpb.Maintenance"] {
                    let response = try await health.check(.with { $0.service = service })
                    #expect(response.status == .serving, "service \"\(service)\"")
                }
                let error = await #expect(throws: RPCError.self) {
                    _ = try await health.check(.with { $0.service = "etcdserverpb.Auth" })
                }
                #expect(error?.code == .notFound && error?.message == "unknown service")
            }
        }
    }

    @Test func watchSendsServingThenNotServingWhenTheServerStops() async throws {
        let server = EtcdServer(store: InMemoryStore(), configuration: .init(port: 0, shutdownGrace: .seconds(5)))
        let port = try await server.start()
        do {
            let seen = try await withHealthClient(port) { health in
                try await health.watch(.with { $0.service = "" }) { response in
                    var seen: [Status] = []
                    for try await message in response.messages {
                        seen.append(message.status)
                        if seen.count == 1 { Task { await server.stop() } }
                    }
                    return seen
                }
            }
            // The stream ended by itself (not through the grace period's cut) after NOT_SERVING.
            #expect(seen == [.serving, .notServing])
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func watchOfAnUnknownServiceAnswersServiceUnknownAndStaysOpen() async throws {
        let server = EtcdServer(store: InMemoryStore(), configuration: .init(port: 0, shutdownGrace: .seconds(5)))
        let port = try await server.start()
        let stopping = StopFlag()
        do {
            let (first, second, endedByStop) = try await withHealthClient(port) { health in
                try await health.watch(.with { $0.service = "no.such.Service" }) { response in
                    var messages = response.messages.makeAsyncIterator()
                    let first = try await messages.next()?.status
                    // The call stays open until the server stops (then it ends without a status
                    // for a name the server never knew, as grpc-go does).
                    Task {
                        try await Task.sleep(for: .milliseconds(300))
                        stopping.set()
                        await server.stop()
                    }
                    let second = try await messages.next()?.status
                    return (first, second, stopping.isSet)
                }
            }
            #expect(first == .serviceUnknown)
            #expect(second == nil)
            #expect(endedByStop, "the Watch call ended before the server stopped")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private func withHealthClient<T: Sendable>(_ port: Int,
                                               _ body: @Sendable (Grpc_Health_V1_Health.Client<HTTP2ClientTransport.Posix>) async throws -> T) async throws -> T {
        try await withGRPCClient(transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port),
                                                           transportSecurity: .plaintext)) { grpc in
            try await body(Grpc_Health_V1_Health.Client(wrapping: grpc))
        }
    }
}

/// A flag set once, readable from any task.
private final class StopFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
