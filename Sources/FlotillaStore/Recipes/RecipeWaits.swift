/// The store reads and waits shared by ``StoreMutex`` and ``Election``, following etcd's
/// clientv3/concurrency package (`key.go`) so that etcd's own clients interoperate.
enum RecipeWaits {
    /// The key of a session under a recipe prefix: `prefix` + the lease ID in lowercase hex
    /// (etcd: `fmt.Sprintf("%s%x", pfx, lease)`).
    static func key(prefix: Bytes, lease: Int64) -> Bytes {
        prefix + Bytes(utf8: String(lease, radix: 16))
    }

    /// The prefix's oldest key: the owner or leader (etcd `WithFirstCreate()`).
    static func firstCreated(under prefix: Bytes) -> RangeRequest {
        var request = RangeRequest.prefix(prefix)
        request.sortTarget = .create
        request.sortOrder = .ascend
        request.limit = 1
        return request
    }

    /// The newest key under the prefix created at or before `maxCreateRevision` (etcd
    /// `WithLastCreate()` + `WithMaxCreateRev`).
    static func lastCreated(under prefix: Bytes, maxCreateRevision: Int64) -> RangeRequest {
        var request = RangeRequest.prefix(prefix)
        request.sortTarget = .create
        request.sortOrder = .descend
        request.limit = 1
        request.maxCreateRevision = maxCreateRevision
        return request
    }

    /// Waits until no key under `prefix` has a create revision ≤ `maxCreateRevision` (etcd
    /// `waitDeletes`): reads the newest such key, waits for its deletion, repeats. Waiting
    /// on one predecessor at a time avoids a thundering herd. Returns the header of the read
    /// that found none. Throws `CancellationError` when the calling task is cancelled.
    static func waitDeletes(_ store: any KeyValueStore, prefix: Bytes, maxCreateRevision: Int64) async throws -> ResponseHeader {
        while true {
            try Task.checkCancellation()
            let answer = try await store.range(lastCreated(under: prefix, maxCreateRevision: maxCreateRevision))
            guard let newest = answer.kvs.first else { return answer.header }
            try await waitDelete(store, key: newest.key, from: answer.header.revision)
        }
    }

    /// Waits for a DELETE of `key` at or after `revision` (etcd `waitDelete`). A compacted
    /// start revision returns at once: the caller reads again and finds out.
    static func waitDelete(_ store: any KeyValueStore, key: Bytes, from revision: Int64) async throws {
        let watch = try await store.watch(WatchCreateRequest(key: key, startRevision: revision, filters: [.noPut]))
        defer { watch.cancel() }
        do {
            for try await response in watch where response.events.contains(where: { $0.type == .delete }) {
                return
            }
        } catch let error as StoreError where error.code == .outOfRange && error.compactRevision > 0 {
            return
        }
        try Task.checkCancellation()
        throw RecipeError.watchEnded(key: key.utf8String)
    }

    /// Runs clean-up work (deleting a recipe key) even when the calling task is cancelled:
    /// the work runs among `session`'s children, which the caller's cancellation does not
    /// reach, and is awaited here. Errors are dropped: the key goes with its lease anyway.
    static func cleanUp(in session: Session, _ work: @escaping @Sendable () async throws -> Void) async {
        await session.children.runShielded { try? await work() }
    }
}
