import FlotillaController
import FlotillaModel
import FlotillaStore

extension APIRoutes {
    /// `POST /v1/apply`: every stack of the files in one transaction, or nothing. Placement
    /// failures recorded for these stacks are cleared in the same transaction: they were about
    /// the previous spec, and the controller records them again if they still hold.
    func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
        let compiled = try SpecCompilation.compile(files: request.files, paths: request.paths, verb: "applied")
        let desired = request.desired ?? .launched
        var state = try await ClusterReader(store: store, layout: layout).read()
        let names = Set(compiled.stacks.map(\.name))
        var operations: [RequestOp] = []
        for stack in compiled.stacks {
            let record = compiled.record(for: stack, desired: desired)
            operations.append(.put(PutRequest(key: Bytes(utf8: layout.stack(stack.name)), value: RecordCodec.encode(record))))
            state.stacks[stack.name] = .init(record: record, revision: state.revision + 1)
        }
        for pending in state.pendings.values.sorted(by: { $0.instance < $1.instance }) where names.contains(pending.stack) {
            operations.append(.deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.pending(pending.instance)))))
            state.pendings[pending.instance] = nil
        }
        guard operations.count <= StoreLimits.maxTxnOps else {
            throw APIError.badRequest(
                "applying \(compiled.stacks.count) stacks takes \(operations.count) writes, more than etcd's limit of \(StoreLimits.maxTxnOps) operations in one transaction, and an apply is never split; apply the files in smaller groups")
        }
        let response = try await store.txn(TxnRequest(success: operations))
        state.revision = response.header.revision
        let expected = ExpectedInstances(state: state, machineID: machineID)
        return ApplyResponse(revision: response.header.revision, stacks: compiled.stacks.map(\.name),
                             instances: desired == .inactive ? [] : expected.instances(of: names),
                             warnings: compiled.diagnostics)
    }
}
