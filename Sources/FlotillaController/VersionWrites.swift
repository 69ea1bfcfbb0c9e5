import FlotillaModel
import FlotillaStore

/// The store operations that write a stack record as a new version: the record at
/// `stacks/<name>`, a copy at `versions/<name>/<version>` (same transaction, so the copy's mod
/// revision is the spec revision), and the deletion of versions beyond the stack's
/// `keep_versions`. Apply, rollback and the controller's automatic revert all write through
/// this, so every stored spec is a numbered version; `start`, `stop` and `unload` change only
/// the desired state of the current version and write none.
public enum VersionWrites {
    /// Versions kept per stack when the stack does not say (`keep_versions`).
    public static let defaultKeep = 10

    /// Operations for `record` (whose ``StackRecord/version`` must be set) replacing
    /// `previous`, written by `origin` at `at` (seconds since 1970).
    public static func operations(_ record: StackRecord, previous: StackRecord?, origin: String, at: Double,
                                  layout: StoreLayout) -> [RequestOp] {
        let name = record.spec.name
        let number = record.version ?? 1
        let version = StackVersion(stack: name, version: number, at: at, origin: origin,
                                   change: VersionChange.summary(from: previous, to: record), record: record)
        var operations: [RequestOp] = [
            .put(PutRequest(key: Bytes(utf8: layout.stack(name)), value: RecordCodec.encode(record))),
            .put(PutRequest(key: Bytes(utf8: layout.version(number, of: name)), value: RecordCodec.encode(version))),
        ]
        let keep = record.spec.keepVersions ?? defaultKeep
        if number - keep >= 1 {
            operations.append(.deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.versions(of: name)),
                                                              rangeEnd: Bytes(utf8: layout.version(number - keep + 1, of: name)))))
        }
        return operations
    }

    /// Every version of `stack` kept in the store, oldest first, with its mod revision (the
    /// spec revision it was written at).
    public static func read(_ stack: String, from store: any KeyValueStore, layout: StoreLayout,
                            revision: Int64 = 0) async throws -> [(version: StackVersion, revision: Int64)] {
        var request = RangeRequest.prefix(Bytes(utf8: layout.versions(of: stack)))
        request.revision = revision
        return try await store.range(request).kvs.map {
            (try RecordCodec.decode(StackVersion.self, from: $0.value, key: $0.key.utf8String), $0.modRevision)
        }
    }
}
