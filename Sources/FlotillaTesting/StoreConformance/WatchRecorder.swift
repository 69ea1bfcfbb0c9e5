import FlotillaStore

/// Consumes a ``WatchStream`` in a task and records what arrives, so cases can wait for
/// events with a deadline (real backends deliver asynchronously).
actor WatchRecorder {
    private(set) var responses: [WatchResponse] = []
    private(set) var finished = false
    private(set) var failure: (any Error)?
    private var consumer: Task<Void, Never>?
    let stream: WatchStream

    init(_ stream: WatchStream) { self.stream = stream }

    /// Starts a watch on `store` and begins recording.
    static func start(_ store: any KeyValueStore, _ request: WatchCreateRequest) async throws -> WatchRecorder {
        let recorder = WatchRecorder(try await store.watch(request))
        await recorder.begin()
        return recorder
    }

    private func begin() {
        let stream = self.stream
        consumer = Task { [weak self] in
            do {
                for try await response in stream { await self?.record(response) }
                await self?.end(nil)
            } catch {
                await self?.end(error)
            }
        }
    }

    private func record(_ response: WatchResponse) { responses.append(response) }
    private func end(_ error: (any Error)?) { finished = true; failure = error }

    /// Every event received so far.
    var events: [Event] { responses.flatMap(\.events) }

    /// Waits until `count` events have arrived (at most `timeout`), then returns the responses.
    func waitForEvents(_ count: Int, timeout: Duration = .seconds(5), file: String = #fileID, line: Int = #line) async throws -> [WatchResponse] {
        try await waitUntil(timeout: timeout, "\(count) events", file: file, line: line) { $0.events.count >= count }
        return responses
    }

    /// Waits until the stream ends (at most `timeout`).
    func waitForEnd(timeout: Duration = .seconds(5), file: String = #fileID, line: Int = #line) async throws {
        try await waitUntil(timeout: timeout, "the end of the stream", file: file, line: line) { $0.finished }
    }

    /// Waits until `condition` holds for the recorder.
    func waitUntil(timeout: Duration, _ what: String, file: String = #fileID, line: Int = #line,
                   _ condition: @Sendable (isolated WatchRecorder) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            if ContinuousClock.now > deadline {
                throw ConformanceFailure("timed out waiting for \(what); got \(responses)", file: file, line: line)
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Cancels the watch and the consuming task.
    func stop() {
        stream.cancel()
        consumer?.cancel()
    }
}

/// Polls `condition` until it holds: once on a manual-time harness, for up to `timeout`
/// otherwise (real backends expire leases on their own timers).
func eventually(_ harness: any StoreHarness, timeout: Duration = .seconds(5), _ what: String,
                file: String = #fileID, line: Int = #line, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        if harness.supportsManualTime || ContinuousClock.now > deadline {
            throw ConformanceFailure("\(what) did not happen", file: file, line: line)
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}
