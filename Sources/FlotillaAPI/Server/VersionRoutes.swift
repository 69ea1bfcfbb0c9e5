import FlotillaController
import FlotillaModel
import FlotillaStore
import Foundation

extension APIRoutes {
    /// `GET /v1/stacks/{name}/history`: the versions kept of the stack and its last rollout.
    func history(_ name: String) async throws -> HistoryReport {
        let (record, _) = try await readStack(name)
        let versions = try await VersionWrites.read(name, from: store, layout: layout)
        let rollout = try await store.range(RangeRequest(key: Bytes(utf8: layout.rollout(name)))).kvs.first.map {
            try RecordCodec.decode(RolloutRecord.self, from: $0.value, key: layout.rollout(name))
        }
        return HistoryReport(stack: name, versions: versions.map { stored in
            .init(version: stored.version.version, at: stored.version.at, origin: stored.version.origin,
                  change: stored.version.change, specRevision: stored.revision, current: stored.version.version == record.version)
        }, rollout: rollout)
    }

    /// `POST /v1/stacks/{name}/rollback`: writes an earlier version's spec back as the stack's
    /// newest version (its desired state stays as it is); the controller rolls it out by the
    /// stack's update strategy. Answers like an apply, so the CLI waits the same way.
    func rollback(_ name: String, _ request: RollbackRequest) async throws -> ApplyResponse {
        for _ in 1...Self.applyAttempts {
            let (current, revision) = try await readStack(name)
            let versions = try await VersionWrites.read(name, from: store, layout: layout).map(\.version)
            let target: StackVersion
            if let to = request.to {
                guard let found = versions.first(where: { $0.version == to }) else {
                    let kept = versions.map { String($0.version) }.joined(separator: ", ")
                    throw APIError.notFound("stack '\(name)' has no version \(to); the versions kept are \(kept.isEmpty ? "none" : kept) (flotilla history \(name))")
                }
                target = found
            } else {
                guard let found = versions.last(where: { ($0.version < (current.version ?? .max)) && $0.record.spec != current.spec }) else {
                    throw APIError.notFound("stack '\(name)' has no earlier version that differs from the current one to roll back to (flotilla history \(name))")
                }
                target = found
            }
            var record = target.record
            record.desired = current.desired
            record.version = current.version
            if record == current {
                return ApplyResponse(revision: revision, stacks: [name], unchanged: [name], specRevisions: [name: revision])
            }
            let newest = max(versions.map(\.version).max() ?? 0, current.version ?? 0)
            record.version = newest + 1
            let key = Bytes(utf8: layout.stack(name))
            let response = try await store.txn(TxnRequest(
                compare: [Compare(key: key, .modRevision(revision), .equal)],
                success: VersionWrites.operations(record, previous: current, origin: "rollback to \(target.version)",
                                                  at: Date().timeIntervalSince1970, layout: layout)))
            guard response.succeeded else { continue }
            return ApplyResponse(revision: response.header.revision, stacks: [name])
        }
        throw APIError(.conflict, "stack '\(name)' kept changing while it was being rolled back (\(Self.applyAttempts) attempts); try again")
    }

    /// `POST /v1/stacks/{name}/promote`: releases the rest of a rollout that waits after its
    /// canaries (writes `promotions/<name>` = the rollout's spec revision).
    func promote(_ name: String) async throws -> PromoteResponse {
        let (record, _) = try await readStack(name)
        let kv = try await store.range(RangeRequest(key: Bytes(utf8: layout.rollout(name)))).kvs.first
        let rollout = try kv.map { try RecordCodec.decode(RolloutRecord.self, from: $0.value, key: layout.rollout(name)) }
        guard let rollout, rollout.isActive else {
            throw APIError(.conflict, "stack '\(name)' has no rollout in progress" + (rollout.map { " (its last rollout, of \($0.label), \($0.phase.rawValue))" } ?? "") + "; promote releases a rollout waiting after its canaries")
        }
        guard record.spec.updateStrategy.canary > 0 else {
            throw APIError(.conflict, "stack '\(name)' has no canaries (update.canary is 0): its rollout of \(rollout.label) does not wait for promote")
        }
        let key = Bytes(utf8: layout.promotion(name))
        let existing = try await store.range(RangeRequest(key: key)).kvs.first.flatMap { Int64(String(decoding: $0.value, as: UTF8.self)) }
        if let existing, existing >= rollout.specRevision {
            return PromoteResponse(stack: name, specRevision: rollout.specRevision, version: rollout.version, changed: false)
        }
        _ = try await store.put(PutRequest(key: key, value: Bytes(utf8: String(rollout.specRevision))))
        return PromoteResponse(stack: name, specRevision: rollout.specRevision, version: rollout.version, changed: true)
    }
}
