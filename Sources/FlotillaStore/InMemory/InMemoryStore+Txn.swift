extension InMemoryStore {
    /// Runs a transaction atomically; one revision for all its writes, none when read-only.
    public func txn(_ request: TxnRequest) throws -> TxnResponse {
        expireLeases()
        try RequestValidation.validate(request)
        let plan = try WritePreflight.plan(request, in: view)
        let responses = apply(request, plan: plan)
        commit()
        return TxnResponse(header: ResponseHeader(revision: revision), succeeded: plan.succeeded,
                           responses: Self.stamped(responses, revision: revision))
    }

    /// Runs the planned branch; reads inside see the transaction's earlier writes.
    private func apply(_ request: TxnRequest, plan: TxnPlan) -> [ResponseOp] {
        var nestedPlans = plan.nested.makeIterator()
        var responses: [ResponseOp] = []
        for op in plan.succeeded ? request.success : request.failure {
            switch op {
            case .range(let range):
                responses.append(.range(rangeResponse(range, currentRevision: 0)))
            case .put(let put):
                let previous = applyPut(put)
                responses.append(.put(PutResponse(header: ResponseHeader(revision: 0), prevKV: put.prevKV ? previous : nil)))
            case .deleteRange(let delete):
                let deleted = applyDelete(key: delete.key, rangeEnd: delete.rangeEnd)
                responses.append(.deleteRange(DeleteRangeResponse(header: ResponseHeader(revision: 0),
                                                                  deleted: Int64(deleted.count),
                                                                  prevKVs: delete.prevKV ? deleted : [])))
            case .txn(let nested):
                guard let nestedPlan = nestedPlans.next() else { continue }
                let inner = apply(nested, plan: nestedPlan)
                responses.append(.txn(TxnResponse(header: ResponseHeader(revision: 0), succeeded: nestedPlan.succeeded,
                                                  responses: inner)))
            }
        }
        return responses
    }

    /// Gives the range, put and delete responses inside a transaction the transaction's final
    /// revision; nested transaction headers stay empty, as in etcd.
    private static func stamped(_ responses: [ResponseOp], revision: Int64) -> [ResponseOp] {
        responses.map { response in
            switch response {
            case .range(var range): range.header.revision = revision; return .range(range)
            case .put(var put): put.header.revision = revision; return .put(put)
            case .deleteRange(var delete): delete.header.revision = revision; return .deleteRange(delete)
            case .txn(var nested): nested.responses = stamped(nested.responses, revision: revision); return .txn(nested)
            }
        }
    }
}
