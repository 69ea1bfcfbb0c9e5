import FlotillaModel
import FlotillaStore

extension APIRoutes {
    /// Times an apply reads, compares and writes again when another writer changed one of its
    /// stacks in between.
    static let applyAttempts = 5

    /// `POST /v1/apply`: every stack of the files in one transaction, or nothing. A stack whose
    /// stored record already says exactly what the files say is not written (so nothing of it
    /// restarts) and is reported `unchanged`. The answer is the transaction's revision (the
    /// written stacks' spec revision); which instances that means is the controller's to
    /// decide: it publishes them at `decisions/<stack>` once it has seen the revision, and
    /// `GET /v1/status?after=REVISION` waits for that.
    ///
    /// The write compares every applied stack's mod revision with the one it was compared at,
    /// so a stack changed by someone else in between is never called unchanged, nor
    /// overwritten unseen: the apply reads and compares again.
    func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
        let compiled = try SpecCompilation.compile(files: request.files, paths: request.paths, verb: "applied")
        let desired = request.desired ?? .launched
        let stacks = compiled.stacks.map { stack in
            (name: stack.name, key: Bytes(utf8: layout.stack(stack.name)), record: compiled.record(for: stack, desired: desired))
        }
        guard stacks.count <= StoreLimits.maxTxnOps else {
            throw APIError.badRequest(
                "applying \(compiled.stacks.count) stacks takes \(stacks.count) writes, more than etcd's limit of \(StoreLimits.maxTxnOps) operations in one transaction, and an apply is never split; apply the files in smaller groups")
        }
        for _ in 1...Self.applyAttempts {
            let read = try await store.txn(TxnRequest(success: stacks.map { .range(RangeRequest(key: $0.key)) }))
            var compares: [Compare] = []
            var writes: [RequestOp] = []
            var unchanged: [String] = []
            var revisions: [String: Int64] = [:]
            for (stack, answer) in zip(stacks, read.responses) {
                guard case .range(let range) = answer else { continue }
                let stored = range.kvs.first
                compares.append(Compare(key: stack.key, .modRevision(stored?.modRevision ?? 0), .equal))
                if let stored, (try? RecordCodec.decode(StackRecord.self, from: stored.value, key: layout.stack(stack.name))) == stack.record {
                    unchanged.append(stack.name)
                    revisions[stack.name] = stored.modRevision
                } else {
                    writes.append(.put(PutRequest(key: stack.key, value: RecordCodec.encode(stack.record))))
                }
            }
            let names = stacks.map(\.name)
            guard !writes.isEmpty else {
                return ApplyResponse(revision: read.header.revision, stacks: names, unchanged: unchanged,
                                     specRevisions: revisions, warnings: compiled.diagnostics)
            }
            let response = try await store.txn(TxnRequest(compare: compares, success: writes))
            guard response.succeeded else { continue }
            for name in names where revisions[name] == nil { revisions[name] = response.header.revision }
            return ApplyResponse(revision: response.header.revision, stacks: names, unchanged: unchanged,
                                 specRevisions: revisions, warnings: compiled.diagnostics)
        }
        throw APIError(.conflict, "the stacks being applied kept changing under this apply (\(Self.applyAttempts) attempts); apply again")
    }
}
