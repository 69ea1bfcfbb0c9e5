import FlotillaStore
import GRDB

/// A range read with every etcd option over the revision log. SQL finds the live keys at the
/// read revision (and their count); the shared pure ``RangeProcessing`` applies filters, sort,
/// limit, keys-only and count-only.
enum RangeReading {
    /// Runs `request` against the snapshot in `db`, whose current revision is `current` and
    /// compaction revision `compacted`. `header` is the revision to report.
    static func range(_ db: Database, _ request: RangeRequest, current: Int64, compacted: Int64,
                      header: Int64) throws -> RangeResponse {
        try RequestValidation.validate(request)
        try RevisionRules.checkRead(request.revision, current: current, compactRevision: compacted)
        let revision = request.revision > 0 ? request.revision : current
        if request.rangeEnd.isEmpty {
            // One key (the common read): one indexed lookup instead of the range queries.
            let kvs = try RevisionLog.latest(db, key: request.key, atRevision: revision).map { [$0] } ?? []
            return RangeProcessing.respond(to: request, kvs: kvs, currentRevision: header)
        }
        let count = try RevisionLog.count(db, key: request.key, rangeEnd: request.rangeEnd, atRevision: revision)
        if request.countOnly {
            return RangeResponse(header: ResponseHeader(revision: header), kvs: [], more: false, count: count)
        }
        // Push the limit into SQL when natural key order is the answer and nothing is filtered
        // out; otherwise fetch the whole range and post-process.
        let pushLimit = request.limit > 0 && isKeyAscending(request) && !hasFilters(request)
        let kvs = try RevisionLog.live(db, key: request.key, rangeEnd: request.rangeEnd, atRevision: revision,
                                       limit: pushLimit ? request.limit + 1 : 0)
        var response = RangeProcessing.respond(to: request, kvs: kvs, currentRevision: header)
        response.count = count
        return response
    }

    /// True when results come back key-ascending (no sort, or sort by key ascending).
    static func isKeyAscending(_ request: RangeRequest) -> Bool {
        request.sortTarget == .key && request.sortOrder != .descend
    }

    /// True when a min/max revision filter is set.
    static func hasFilters(_ request: RangeRequest) -> Bool {
        request.minModRevision != 0 || request.maxModRevision != 0
            || request.minCreateRevision != 0 || request.maxCreateRevision != 0
    }
}
