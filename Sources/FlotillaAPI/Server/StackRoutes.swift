import FlotillaModel
import FlotillaStore

extension APIRoutes {
    /// `POST /v1/stacks/{name}/start|stop|unload`: sets the desired state (launched, loaded,
    /// inactive). The write compares the stack's mod revision, so a concurrent apply is never
    /// overwritten with an old spec; nothing is written when the state is already right.
    func setDesired(_ name: String, _ desired: DesiredState) async throws -> StackChange {
        for _ in 0..<5 {
            let (record, revision) = try await readStack(name)
            if record.desired == desired {
                return StackChange(stack: name, previous: desired, desired: desired, revision: revision, changed: false)
            }
            var changed = record
            changed.desired = desired
            let key = Bytes(utf8: layout.stack(name))
            let response = try await store.txn(TxnRequest(
                compare: [Compare(key: key, .modRevision(revision), .equal)],
                success: [.put(PutRequest(key: key, value: RecordCodec.encode(changed)))]))
            if response.succeeded {
                return StackChange(stack: name, previous: record.desired, desired: desired,
                                   revision: response.header.revision, changed: true)
            }
        }
        throw APIError(.conflict, "stack '\(name)' kept changing while its desired state was being set; try again")
    }

    /// `DELETE /v1/stacks/{name}`: removes the stack with its versions and promotion; the
    /// controller then stops and unassigns its instances and deletes its decision and rollout
    /// records.
    func destroy(_ name: String) async throws -> StackChange {
        let (record, revision) = try await readStack(name)
        let key = Bytes(utf8: layout.stack(name))
        let response = try await store.txn(TxnRequest(
            compare: [Compare(key: key, .modRevision(revision), .equal)], success: [
                .deleteRange(DeleteRangeRequest(key: key)),
                .deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.versions(of: name)),
                                                rangeEnd: KeyRange.prefixEnd(Bytes(utf8: layout.versions(of: name))))),
                .deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.promotion(name)))),
            ]))
        guard response.succeeded else {
            throw APIError(.conflict, "stack '\(name)' changed while it was being destroyed; look at flotilla status \(name) and try again")
        }
        return StackChange(stack: name, previous: record.desired, desired: nil, revision: response.header.revision, changed: true)
    }

    /// `GET /v1/units/{stack}`: the stored stack.
    func stack(_ name: String) async throws -> StackReport {
        let (record, revision) = try await readStack(name)
        return StackReport(name: name, record: record, revision: revision)
    }

    /// The stack record and its mod revision; a 404 naming the nearest stack when missing.
    func readStack(_ name: String) async throws -> (StackRecord, Int64) {
        let key = layout.stack(name)
        if let kv = try await store.range(RangeRequest(key: Bytes(utf8: key))).kvs.first {
            return (try RecordCodec.decode(StackRecord.self, from: kv.value, key: key), kv.modRevision)
        }
        let all = try await store.range(RangeRequest.prefix(Bytes(utf8: layout.stacks)).keysOnlyCopy)
        let known = all.kvs.compactMap { layout.suffix(of: $0.key.utf8String, under: layout.stacks) }
        throw APIError.notFound(unknownStack(name, known: known))
    }
}

extension RangeRequest {
    /// The same request without values.
    var keysOnlyCopy: RangeRequest {
        var copy = self
        copy.keysOnly = true
        return copy
    }
}
