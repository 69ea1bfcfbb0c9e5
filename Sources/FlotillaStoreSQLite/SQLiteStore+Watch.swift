import FlotillaStore
import GRDB

extension SQLiteStore {
    /// Starts a watch. `startRevision` 0 delivers changes after the current revision; an older
    /// start replays history from SQLite (read before this returns) and then switches to live
    /// events without gaps or duplicates; a start below the compaction revision ends the stream with
    /// ``StoreError/compacted(compactRevision:)``. Cancelling the stream or the consuming task
    /// unregisters the watch.
    public func watch(_ request: WatchCreateRequest) async throws -> WatchStream {
        try checkOpen()
        try RequestValidation.validate(request)
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: WatchResponse.self, bufferingPolicy: .bufferingOldest(Watcher.bufferLimit))
        guard let watcher = hub.register(request, continuation: continuation) else {
            throw StoreError.unavailable("etcdserver: store is closed")
        }
        let hub = self.hub
        // Unregistering must not depend on the replay below: it can end the stream
        // (compacted, read error).
        continuation.onTermination = { _ in hub.remove(watcher.id) }
        if request.startRevision > 0 {
            // The history is read here, in the caller's task: the watcher parks live revisions
            // until the replay is handed over, so nothing is lost or doubled meanwhile.
            do {
                let (compacted, current, history) = try await pool.read { db in
                    let compacted = try StoreDatabase.meta(db, "compact_revision")
                    let current = try StoreDatabase.meta(db, "revision")
                    if request.startRevision < compacted { return (compacted, current, [Event]()) }
                    let history = try RevisionLog.events(db, key: request.key, rangeEnd: request.rangeEnd,
                                                         from: request.startRevision, through: current,
                                                         withPrevious: request.prevKV)
                    return (compacted, current, history)
                }
                if request.startRevision < compacted {
                    continuation.finish(throwing: StoreError.compacted(compactRevision: compacted))
                } else if let error = watcher.finishReplay(history, through: current) {
                    continuation.finish(throwing: error)
                }
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return WatchStream(responses: stream,
                           requestProgress: { hub.requestProgress(watcher) },
                           cancel: { continuation.finish() })
    }
}
