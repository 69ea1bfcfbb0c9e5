import GRPCCore
import Synchronization

/// The serving status of each service name the server answers health checks for. The server
/// marks its services SERVING when it starts and NOT_SERVING when it stops; the health
/// service reads it and pushes every change to open Watch calls.
final class HealthStatus: Sendable {
    typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    private struct Watcher {
        let service: String
        let continuation: AsyncStream<Status>.Continuation
    }
    private struct State {
        var statuses: [String: Status] = [:]
        var watchers: [Int: Watcher] = [:]
        var nextID = 0
        var shutDown = false
    }

    private let state = Mutex(State())

    /// Sets the status of each name in `services` ("" is the server as a whole) and tells
    /// watchers of a name whose status changed. Ignored after ``shutDown()``.
    func set(_ status: Status, for services: [String]) {
        state.withLock { state in
            guard !state.shutDown else { return }
            for service in services where state.statuses[service] != status {
                state.statuses[service] = status
                for watcher in state.watchers.values where watcher.service == service { watcher.continuation.yield(status) }
            }
        }
    }

    /// The status of `service`, or nil when the server does not know that name.
    func status(of service: String) -> Status? {
        state.withLock { $0.statuses[service] }
    }

    /// The status of `service` now (SERVICE_UNKNOWN for an unknown name), then each change.
    /// Only the newest status waits for a slow reader. Ends at ``shutDown()``.
    func watch(_ service: String) -> AsyncStream<Status> {
        let (stream, continuation) = AsyncStream.makeStream(of: Status.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> Int? in
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            if state.shutDown { return nil }
            defer { state.nextID += 1 }
            state.watchers[state.nextID] = Watcher(service: service, continuation: continuation)
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Marks every known service NOT_SERVING, sends that to their watchers, ends every watch
    /// stream, and ignores later ``set(_:for:)`` calls (the server is going away).
    func shutDown() {
        let (watchers, known) = state.withLock { state -> ([Watcher], Set<String>) in
            state.shutDown = true
            for service in state.statuses.keys { state.statuses[service] = .notServing }
            defer { state.watchers = [:] }
            return (Array(state.watchers.values), Set(state.statuses.keys))
        }
        for watcher in watchers {
            if known.contains(watcher.service) { watcher.continuation.yield(.notServing) }
            watcher.continuation.finish()
        }
    }
}

/// The standard gRPC health service (`grpc.health.v1.Health`), which etcd registers too and
/// which probes and load balancers call. Check of an unknown name fails with NOT_FOUND
/// "unknown service"; Watch answers SERVICE_UNKNOWN for it instead and stays open, as the
/// reference implementation (grpc-go) does.
struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    let health: HealthStatus

    func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard let status = health.status(of: request.service) else {
            throw RPCError(code: .notFound, message: "unknown service")
        }
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = status
        return response
    }

    func watch(request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
               context: ServerContext) async throws {
        for await status in health.watch(request.service) {
            var message = Grpc_Health_V1_HealthCheckResponse()
            message.status = status
            try await response.write(message)
        }
    }
}
