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
        try await withEtcdServer { _, port, _ in
            // The call only ends at its deadline: the server keeps it open after SERVICE_UNKNOWN.
            var options = CallOptions.defaults
            options.timeout = .seconds(1)
            let callOptions = options
            let seen = Mutex<[Status]>([])
            let error = await #expect(throws: RPCError.self) {
                try await withHealthClient(port) { health in
                    try await health.watch(.with { $0.service = "no.such.Service" }, options: callOptions) { response in
                        for try await message in response.messages { seen.withLock { $0.append(message.status) } }
                    }
                }
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(seen.withLock { $0 } == [.serviceUnknown])
        }
    }

    private func withHealthClient<T: Sendable>(_ port: Int,
                                               _ body: @Sendable (Grpc_Health_V1_Health.Client<HTTP2ClientTransport.Posix>) async throws -> T) async throws -> T {
        try await withGRPCClient(transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port),
                                                           transportSecurity: .plaintext)) { grpc in
            try await body(Grpc_Health_V1_Health.Client(wrapping: grpc))
        }
    }
}
