import FlotillaModel
import FlotillaStore

extension APIRoutes {
    /// `POST /v1/apply`: every stack of the files in one transaction, or nothing. The answer
    /// is the transaction's revision (the stacks' spec revision); which instances that means
    /// is the controller's to decide: it publishes them at `decisions/<stack>` once it has
    /// seen the revision, and `GET /v1/status?after=REVISION` waits for that.
    func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
        let compiled = try SpecCompilation.compile(files: request.files, paths: request.paths, verb: "applied")
        let desired = request.desired ?? .launched
        let operations = compiled.stacks.map { stack -> RequestOp in
            .put(PutRequest(key: Bytes(utf8: layout.stack(stack.name)),
                            value: RecordCodec.encode(compiled.record(for: stack, desired: desired))))
        }
        guard operations.count <= StoreLimits.maxTxnOps else {
            throw APIError.badRequest(
                "applying \(compiled.stacks.count) stacks takes \(operations.count) writes, more than etcd's limit of \(StoreLimits.maxTxnOps) operations in one transaction, and an apply is never split; apply the files in smaller groups")
        }
        let response = try await store.txn(TxnRequest(success: operations))
        return ApplyResponse(revision: response.header.revision, stacks: compiled.stacks.map(\.name),
                             warnings: compiled.diagnostics)
    }
}
