/// etcd's revision checks for reads, compaction and watches (`mvcc/kvstore.go`).
/// A `compactRevision` of 0 means "never compacted".
public enum RevisionRules {
    /// A read at `revision` (0 = current): a future revision is
    /// ``StoreError/futureRevision``; one below the compaction revision is
    /// ``StoreError/compacted(compactRevision:)``; the compaction revision itself is readable.
    public static func checkRead(_ revision: Int64, current: Int64, compactRevision: Int64) throws(StoreError) {
        if revision > current { throw .futureRevision }
        if revision > 0 && revision < compactRevision { throw .compacted(compactRevision: compactRevision) }
    }

    /// A compaction at `revision`: at or below the current compaction revision is
    /// ``StoreError/compacted(compactRevision:)``; above the current revision is
    /// ``StoreError/futureRevision``.
    public static func checkCompact(_ revision: Int64, current: Int64, compactRevision: Int64) throws(StoreError) {
        if compactRevision > 0 && revision <= compactRevision { throw .compacted(compactRevision: compactRevision) }
        if revision > current { throw .futureRevision }
    }

    /// A watch starting at `startRevision` (0 = after the current revision) cannot replay
    /// history below the compaction revision; starting exactly at it is fine.
    public static func checkWatchStart(_ startRevision: Int64, compactRevision: Int64) throws(StoreError) {
        if startRevision > 0 && startRevision < compactRevision { throw .compacted(compactRevision: compactRevision) }
    }

    /// The first revision a watch delivers: `startRevision`, or `current + 1` when it is 0.
    public static func firstWatchedRevision(_ startRevision: Int64, current: Int64) -> Int64 {
        startRevision > 0 ? startRevision : current + 1
    }
}
