import FlotillaModel
import FlotillaStore

/// Reboot groups in the store (`reboot/<group>`, ``RebootGroup``): every change reads the
/// group, applies a pure operation and writes it back in a transaction that compares the
/// revision it read (create-if-absent for a new group), trying again on a lost race, so two
/// machines asking at once never get more slots than there are.
package struct RebootGroups: Sendable {
    let store: any KeyValueStore
    let layout: StoreLayout

    package init(store: any KeyValueStore, layout: StoreLayout) {
        self.store = store; self.layout = layout
    }

    /// The group as stored, or a new one with the defaults (1 slot, 1 h hold timeout).
    package func read(_ name: String) async throws -> (group: RebootGroup, revision: Int64) {
        let key = layout.rebootGroup(name)
        guard let kv = try await store.range(RangeRequest(key: Bytes(utf8: key))).kvs.first else { return (RebootGroup(name: name), 0) }
        return (try RecordCodec.decode(RebootGroup.self, from: kv.value, key: key), kv.modRevision)
    }

    /// Every stored group, by name.
    package func all() async throws -> [RebootGroup] {
        let prefix = Bytes(utf8: layout.rebootGroups)
        return try await store.range(RangeRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(prefix))).kvs.map {
            try RecordCodec.decode(RebootGroup.self, from: $0.value, key: $0.key.utf8String)
        }.sorted { $0.name < $1.name }
    }

    /// Applies `change` to the group and stores the result (unless `change` left it as it was:
    /// reading a group that does not exist writes nothing);
    /// returns what `change` returned. Up to 10 tries when other writers win the race.
    package func update<T: Sendable>(_ name: String, _ change: @Sendable (inout RebootGroup) -> T) async throws -> T {
        try await update(name) { group in (change(&group), []) }
    }

    /// Like ``update(_:_:)-(_,(inout RebootGroup)->T)``, with more writes (events, a cordon) that
    /// happen in the same transaction as the group's, and only if it does.
    package func update<T: Sendable>(_ name: String, _ change: @Sendable (inout RebootGroup) -> (T, [RequestOp])) async throws -> T {
        let key = Bytes(utf8: layout.rebootGroup(name))
        for _ in 0..<10 {
            let (before, revision) = try await read(name)
            var group = before
            let (result, writes) = change(&group)
            if group == before && writes.isEmpty { return result }
            let guardRevision = revision == 0 ? Compare(key: key, .createRevision(0), .equal) : Compare(key: key, .modRevision(revision), .equal)
            let put: [RequestOp] = group == before ? [] : [.put(PutRequest(key: key, value: RecordCodec.encode(group)))]
            let response = try await store.txn(TxnRequest(compare: [guardRevision], success: put + writes))
            if response.succeeded { return result }
        }
        throw RebootGroupsError("reboot group '\(name)' kept changing under 10 tries in a row; try again")
    }
}

/// A reboot group could not be changed.
package struct RebootGroupsError: Error, Sendable, Hashable, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
