/// The MVCC history of every key of an ``InMemoryStore``: per key, its versions in revision
/// order (a tombstone marks a delete), plus a key-sorted index for range reads.
struct KeyHistory: Sendable {
    /// One version of a key: its value at `revision`, or nil when deleted at `revision`.
    struct Version: Sendable {
        var revision: Int64
        var kv: KeyValue?
    }

    private var versions: [Bytes: [Version]] = [:]
    /// Every key with history, sorted.
    private var sortedKeys: [Bytes] = []

    /// Bytes of keys and values held, a rough size figure.
    private(set) var byteEstimate: Int64 = 0

    /// The live key-value of `key` at `revision` (nil = newest).
    func value(of key: Bytes, at revision: Int64? = nil) -> KeyValue? {
        guard let list = versions[key] else { return nil }
        guard let revision else { return list.last?.kv }
        return list.last(where: { $0.revision <= revision })?.kv
    }

    /// The live key-values in a range at `revision` (nil = newest), key-ascending.
    func values(key: Bytes, rangeEnd: Bytes, at revision: Int64? = nil) -> [KeyValue] {
        if rangeEnd.isEmpty { return value(of: key, at: revision).map { [$0] } ?? [] }
        var result: [KeyValue] = []
        var index = lowerBound(key == [0] && rangeEnd == [0] ? [] : key)
        while index < sortedKeys.count {
            let candidate = sortedKeys[index]
            if !KeyRange.contains(candidate, key: key, rangeEnd: rangeEnd) { break }
            if let kv = value(of: candidate, at: revision) { result.append(kv) }
            index += 1
        }
        return result
    }

    /// Records a put; `kv` carries its final revisions and version.
    mutating func record(_ kv: KeyValue) {
        if versions[kv.key] == nil { insertSorted(kv.key) }
        versions[kv.key, default: []].append(Version(revision: kv.modRevision, kv: kv))
        byteEstimate += Int64(kv.key.count + kv.value.count + 40)
    }

    /// Records a delete of `key` at `revision`.
    mutating func recordDelete(_ key: Bytes, revision: Int64) {
        versions[key, default: []].append(Version(revision: revision, kv: nil))
        byteEstimate += Int64(key.count + 24)
    }

    /// Drops history that no read at `revision` or later needs: for each key, every version
    /// older than its newest version at or before `revision`, and that one too when it is a
    /// tombstone.
    mutating func compact(at revision: Int64) {
        var emptied: Set<Bytes> = []
        for (key, list) in versions {
            guard let newestOld = list.lastIndex(where: { $0.revision <= revision }) else { continue }
            let kept = Array(list[(list[newestOld].kv == nil ? newestOld + 1 : newestOld)...])
            for dropped in list.prefix(list.count - kept.count) {
                byteEstimate -= Int64(key.count + (dropped.kv?.value.count ?? 0) + (dropped.kv == nil ? 24 : 40))
            }
            if kept.isEmpty { emptied.insert(key) } else { versions[key] = kept }
        }
        if !emptied.isEmpty {
            for key in emptied { versions[key] = nil }
            sortedKeys.removeAll { emptied.contains($0) }
        }
    }

    private func lowerBound(_ key: Bytes) -> Int {
        var low = 0, high = sortedKeys.count
        while low < high {
            let mid = (low + high) / 2
            if sortedKeys[mid].sortsBefore(key) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private mutating func insertSorted(_ key: Bytes) {
        sortedKeys.insert(key, at: lowerBound(key))
    }
}
