/// The revisions etcd reports in the headers of a transaction's operation responses
/// (`mvcc/kvstore_txn.go`: `storeTxnWrite.Range`, `Put`, `DeleteRange`).
///
/// A transaction starts at revision R and, when it writes anything, ends at R + 1. Each
/// operation reports the revision the transaction had reached when it ran: a put reports
/// R + 1; a range and a delete report R + 1 once anything has been written (by an earlier
/// operation, a nested transaction, or the delete itself), R before that. Nested transaction
/// headers stay empty (revision 0). etcdctl prints these headers with `txn -w json`.
public enum TxnRevisions {
    /// `responses` (the branch that ran, in order) with etcd's header revision on every
    /// range, put and delete response, nested transactions included. `finalRevision` is the
    /// transaction's revision after it ran (its top-level header). Only the headers change.
    public static func stamped(_ responses: [ResponseOp], finalRevision: Int64) -> [ResponseOp] {
        let start = writes(responses) ? finalRevision - 1 : finalRevision
        var written = false
        return stamped(responses, start: start, written: &written)
    }

    /// True when any response in `responses` (nested ones included) is a write that changed
    /// something: a put, or a delete that deleted at least one key.
    public static func writes(_ responses: [ResponseOp]) -> Bool {
        responses.contains { response in
            switch response {
            case .range: return false
            case .put: return true
            case .deleteRange(let delete): return delete.deleted > 0
            case .txn(let nested): return writes(nested.responses)
            }
        }
    }

    private static func stamped(_ responses: [ResponseOp], start: Int64, written: inout Bool) -> [ResponseOp] {
        responses.map { response in
            switch response {
            case .range(var range):
                range.header = ResponseHeader(revision: written ? start + 1 : start)
                return .range(range)
            case .put(var put):
                written = true
                put.header = ResponseHeader(revision: start + 1)
                return .put(put)
            case .deleteRange(var delete):
                if delete.deleted > 0 { written = true }
                delete.header = ResponseHeader(revision: written ? start + 1 : start)
                return .deleteRange(delete)
            case .txn(var nested):
                nested.header = ResponseHeader(revision: 0)
                nested.responses = stamped(nested.responses, start: start, written: &written)
                return .txn(nested)
            }
        }
    }
}
