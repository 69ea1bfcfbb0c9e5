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

    /// Applies `change` to the group and stores the result (unless `change` left it as it was);
    /// returns what `change` returned. Up to 10 tries when other writers win the race.
    package func update<T: Sendable>(_ name: String, _ change: (inout RebootGroup) -> T) async throws -> T {
        let key = Bytes(utf8: layout.rebootGroup(name))
        for _ in 0..<10 {
            let (before, revision) = try await read(name)
            var group = before
            let result = change(&group)
            if group == before && revision != 0 { return result }
            let guardRevision = revision == 0 ? Compare(key: key, .createRevision(0), .equal) : Compare(key: key, .modRevision(revision), .equal)
            let response = try await store.txn(TxnRequest(compare: [guardRevision],
                                                          success: [.put(PutRequest(key: key, value: RecordCodec.encode(group)))]))
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
