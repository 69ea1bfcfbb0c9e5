import FlotillaController
import FlotillaModel
import FlotillaStore
import Foundation

extension APIRoutes {
    /// Times an apply reads, compares and writes again when another writer changed one of its
    /// stacks in between.
    static let applyAttempts = 5

    /// The refusal of an apply whose writes do not fit one transaction.
    static func tooManyWrites(_ writes: Int, stacks: Int) -> APIError {
        APIError.badRequest(
            "applying \(stacks) stacks takes \(writes) writes (each changed stack's record and version, and old versions pruned), more than etcd's limit of \(StoreLimits.maxTxnOps) operations in one transaction, and an apply is never split; apply the files in smaller groups")
    }

    /// `POST /v1/apply`: every stack of the files in one transaction, or nothing. Each stack
    /// written becomes its next version (``VersionWrites``). A stack whose
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
        guard stacks.count <= StoreLimits.maxTxnOps else { throw Self.tooManyWrites(stacks.count, stacks: stacks.count) }
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
                let previous = stored.flatMap { try? RecordCodec.decode(StackRecord.self, from: $0.value, key: layout.stack(stack.name)) }
                var record = stack.record
                record.version = previous?.version
                if let stored, previous == record {
                    unchanged.append(stack.name)
                    revisions[stack.name] = stored.modRevision
                } else {
                    record.version = (previous?.version ?? 0) + 1
                    writes += VersionWrites.operations(record, previous: previous, origin: "apply",
                                                       at: Date().timeIntervalSince1970, layout: layout)
                }
            }
            let names = stacks.map(\.name)
            guard writes.count <= StoreLimits.maxTxnOps else { throw Self.tooManyWrites(writes.count, stacks: stacks.count) }
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
