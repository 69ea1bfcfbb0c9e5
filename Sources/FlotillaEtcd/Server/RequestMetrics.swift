import GRPCCore
import Metrics

/// Counts the server's RPCs by method and times them, with swift-metrics:
/// `flotilla_store_requests_total{method="Range"}` and the timer
/// `flotilla_store_request_duration_seconds{method="Range"}`.
///
/// For unary RPCs the time covers the whole call (the handler runs before the response is
/// returned). For streams (Watch, LeaseKeepAlive, Snapshot) a request is one stream and the
/// time is until the stream is accepted, not its lifetime.
struct RequestMetrics: ServerInterceptor {
    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let dimensions = [("method", context.descriptor.method)]
        Counter(label: "flotilla_store_requests_total", dimensions: dimensions).increment()
        let start = ContinuousClock.now
        defer {
            Timer(label: "flotilla_store_request_duration_seconds", dimensions: dimensions)
                .record(duration: ContinuousClock.now - start)
        }
        return try await next(request, context)
    }
}
