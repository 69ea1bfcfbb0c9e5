import FlotillaStore
import Testing

/// Key order and key ranges, as etcd defines them (byte-wise, a prefix before its extensions).
@Suite("Key order and ranges")
struct KeyOrderTests {
    @Test("sortsBefore agrees with lexicographic byte order, prefixes, empty keys and 0xff included")
    func sortsBeforeMatchesByteOrder() {
        let keys: [Bytes] = [[], [0], [0, 0], [1], [0x61], [0x61, 0x00], [0x61, 0x62], [0x61, 0xff], [0x62], [0xff], [0xff, 0xff]]
        for a in keys {
            for b in keys {
                #expect(a.sortsBefore(b) == a.lexicographicallyPrecedes(b), "\(a) vs \(b)")
            }
        }
    }

    @Test("ranges: one key, a prefix, every key from a key, every key")
    func rangesSelect() {
        let prefix = Bytes(utf8: "assign/m1/")
        let end = KeyRange.prefixEnd(prefix)
        #expect(KeyRange.contains(Bytes(utf8: "assign/m1/web@1"), key: prefix, rangeEnd: end))
        #expect(KeyRange.contains(prefix, key: prefix, rangeEnd: end))
        #expect(!KeyRange.contains(Bytes(utf8: "assign/m10/web@1"), key: prefix, rangeEnd: end))
        #expect(!KeyRange.contains(Bytes(utf8: "assign/m1"), key: prefix, rangeEnd: end))
        #expect(KeyRange.contains(Bytes(utf8: "k"), key: Bytes(utf8: "k"), rangeEnd: []))
        #expect(!KeyRange.contains(Bytes(utf8: "k2"), key: Bytes(utf8: "k"), rangeEnd: []))
        #expect(KeyRange.contains(Bytes(utf8: "z"), key: Bytes(utf8: "m"), rangeEnd: KeyRange.allFromKey))
        #expect(!KeyRange.contains(Bytes(utf8: "a"), key: Bytes(utf8: "m"), rangeEnd: KeyRange.allFromKey))
        #expect(KeyRange.contains(Bytes(utf8: "a"), key: KeyRange.allFromKey, rangeEnd: KeyRange.allFromKey))
    }

    @Test("a batch's key bounds overlap a range exactly when one of the keys between them could lie in it")
    func boundsOverlap() {
        let keys: [Bytes] = [[0], [1], [0x61], [0x61, 0x00], [0x61, 0x62], [0x61, 0xff], [0x62], [0xff], [0xff, 0xff]]
        let ends: [Bytes] = [[], KeyRange.allFromKey] + keys
        for low in keys {
            for high in keys where !high.sortsBefore(low) {
                let between = keys.filter { !$0.sortsBefore(low) && !high.sortsBefore($0) }
                for key in keys {
                    for end in ends where end.isEmpty || end == KeyRange.allFromKey || key.sortsBefore(end) {
                        let anyIn = between.contains { KeyRange.contains($0, key: key, rangeEnd: end) }
                        let overlaps = KeyRange.overlaps(lowest: low, highest: high, key: key, rangeEnd: end)
                        #expect(overlaps == anyIn, "keys \(low)...\(high), range \(key) to \(end)")
                    }
                }
            }
        }
        #expect(!KeyRange.overlaps(lowest: Bytes(utf8: "assign/m2/a"), highest: Bytes(utf8: "assign/m2/z"),
                                   key: Bytes(utf8: "assign/m1/"), rangeEnd: KeyRange.prefixEnd(Bytes(utf8: "assign/m1/"))))
    }
}
