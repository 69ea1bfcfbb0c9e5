/// etcd's range post-processing (`apply.go: applyRange`), over the live keys a backend found.
public enum RangeProcessing {
    /// Builds the response for `request` from `kvs`: every live key in the requested range at
    /// the read revision, key-ascending. In order: `count` is taken (before the filters and the
    /// limit), the min/max mod/create filters drop keys, keys are sorted (a non-key target with
    /// order `none` means ascending), the limit cuts and sets `more`, then `keysOnly` drops
    /// values and `countOnly` drops every key-value. `currentRevision` goes in the header.
    public static func respond(to request: RangeRequest, kvs: [KeyValue], currentRevision: Int64) -> RangeResponse {
        let header = ResponseHeader(revision: currentRevision)
        let count = Int64(kvs.count)
        if request.countOnly { return RangeResponse(header: header, kvs: [], more: false, count: count) }
        var result = kvs.filter { passesFilters($0, request) }
        result = sorted(result, target: request.sortTarget, order: request.sortOrder)
        var more = false
        if request.limit > 0 && result.count > Int(request.limit) {
            result = Array(result.prefix(Int(request.limit)))
            more = true
        }
        if request.keysOnly {
            for index in result.indices { result[index].value = [] }
        }
        return RangeResponse(header: header, kvs: result, more: more, count: count)
    }

    /// True when `kv` passes the request's min/max mod and create revision filters (0 = off).
    public static func passesFilters(_ kv: KeyValue, _ request: RangeRequest) -> Bool {
        if request.maxModRevision != 0 && kv.modRevision > request.maxModRevision { return false }
        if request.minModRevision != 0 && kv.modRevision < request.minModRevision { return false }
        if request.maxCreateRevision != 0 && kv.createRevision > request.maxCreateRevision { return false }
        if request.minCreateRevision != 0 && kv.createRevision < request.minCreateRevision { return false }
        return true
    }

    /// Sorts key-ascending input by `target` and `order` with etcd's rule that a non-key
    /// target with order `none` sorts ascending. Ties keep key-ascending order (etcd leaves
    /// them unspecified).
    public static func sorted(_ kvs: [KeyValue], target: SortTarget, order: SortOrder) -> [KeyValue] {
        let effective: SortOrder = (target != .key && order == .none) ? .ascend : order
        switch effective {
        case .none: return kvs
        case .ascend: return kvs.sorted { precedes($0, $1, by: target) }
        case .descend: return kvs.sorted { precedes($1, $0, by: target, tieByKeyAscending: false) }
        }
    }

    private static func precedes(_ lhs: KeyValue, _ rhs: KeyValue, by target: SortTarget, tieByKeyAscending: Bool = true) -> Bool {
        let order: Int
        switch target {
        case .key: order = 0
        case .version: order = compare(lhs.version, rhs.version)
        case .create: order = compare(lhs.createRevision, rhs.createRevision)
        case .mod: order = compare(lhs.modRevision, rhs.modRevision)
        case .value: order = lhs.value == rhs.value ? 0 : (lhs.value.sortsBefore(rhs.value) ? -1 : 1)
        }
        if order != 0 { return order < 0 }
        // Ties (and the key target) fall back to the key; for descending input the caller has
        // swapped the arguments, so swap back to keep ties key-ascending.
        return tieByKeyAscending || target == .key
            ? lhs.key.sortsBefore(rhs.key)
            : rhs.key.sortsBefore(lhs.key)
    }

    private static func compare(_ lhs: Int64, _ rhs: Int64) -> Int {
        lhs == rhs ? 0 : (lhs < rhs ? -1 : 1)
    }
}
