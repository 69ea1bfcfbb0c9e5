import FlotillaStore

/// Waits on store watches for a long-poll: returns as soon as a key under one of the
/// prefixes changed after a revision, or when the time is up, whichever comes first.
///
/// The watches start at `after + 1`, so a change committed between the caller's last read
/// and this call is seen at once; nothing is missed and nothing polls. The watches end with
/// the wait (also when the request's task is cancelled).
struct StoreChange: Sendable {
    let store: any KeyValueStore

    /// True when something under `prefixes` changed after revision `after`; false at `limit`.
    /// A watch the store refuses (the revision is compacted) counts as a change: read again.
    func wait(prefixes: [String], after: Int64, limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            for prefix in prefixes {
                group.addTask {
                    do {
                        let key = Bytes(utf8: prefix)
                        let watch = try await store.watch(WatchCreateRequest(
                            key: key, rangeEnd: KeyRange.prefixEnd(key), startRevision: after + 1))
                        defer { watch.cancel() }
                        for try await response in watch where !response.events.isEmpty { return true }
                        return false
                    } catch {
                        return !Task.isCancelled
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
