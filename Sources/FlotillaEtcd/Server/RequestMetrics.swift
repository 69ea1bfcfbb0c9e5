import GRPCCore
import Metrics
import Synchronization

/// Counts the server's RPCs by method and times them, with swift-metrics:
/// `flotilla_store_requests_total{method="Range"}` and the timer
/// `flotilla_store_request_duration_seconds{method="Range"}`.
///
/// For unary RPCs the time covers the whole call (the handler runs before the response is
/// returned). For streams (Watch, LeaseKeepAlive, Snapshot) a request is one stream and the
/// time is until the stream is accepted, not its lifetime. The instruments are made once per
/// method, not per call (the store serves thousands of calls a second).
final class RequestMetrics: ServerInterceptor {
    private struct Instruments {
        var requests: Counter
        var duration: Timer
    }
    private let byMethod = Mutex<[String: Instruments]>([:])

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let instruments = self.instruments(context.descriptor.method)
        instruments.requests.increment()
        let start = ContinuousClock.now
        defer { instruments.duration.record(duration: ContinuousClock.now - start) }
        return try await next(request, context)
    }

    private func instruments(_ method: String) -> Instruments {
        byMethod.withLock { known in
            if let instruments = known[method] { return instruments }
            let dimensions = [("method", method)]
            let made = Instruments(requests: Counter(label: "flotilla_store_requests_total", dimensions: dimensions),
                                   duration: Timer(label: "flotilla_store_request_duration_seconds", dimensions: dimensions))
            known[method] = made
            return made
        }
    }
}
