extension InMemoryStore {
    /// Starts a watch. History from `startRevision` (inclusive) is replayed in one response;
    /// later revisions arrive one response each. A start below the compaction revision makes
    /// the stream throw ``StoreError/compacted(compactRevision:)`` at once. Responses are
    /// buffered without bound, so a consumer that stops reading should cancel.
    public func watch(_ request: WatchCreateRequest) throws -> WatchStream {
        expireLeases()
        try RequestValidation.validate(request)
        let (responses, continuation) = AsyncThrowingStream<WatchResponse, any Error>.makeStream()
        do {
            try RevisionRules.checkWatchStart(request.startRevision, compactRevision: compactRevision)
        } catch {
            continuation.finish(throwing: error)
            return WatchStream(responses: responses, requestProgress: {}, cancel: {})
        }
        let first = RevisionRules.firstWatchedRevision(request.startRevision, current: revision)
        let replay = first <= revision ? Array(eventLog[firstEventIndex(atOrAfter: first)...]) : []
        let hub = self.hub
        let id = hub.register(request, firstRevision: first, replay: replay, compactRevision: compactRevision,
                              continuation: continuation)
        continuation.onTermination = { _ in hub.cancel(id) }
        return WatchStream(responses: responses, requestProgress: { hub.requestProgress(id) }, cancel: { hub.cancel(id) })
    }
}
