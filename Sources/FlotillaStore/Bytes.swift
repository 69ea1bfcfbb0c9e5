#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Keys and values are raw bytes, as in etcd.
public typealias Bytes = [UInt8]

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of `text`.
    public init(utf8 text: String) { self = Array(text.utf8) }

    /// The bytes as text (invalid UTF-8 is repaired), for messages and tests.
    public var utf8String: String { String(decoding: self, as: UTF8.self) }

    /// True when these bytes sort before `other` (byte-wise, a prefix first), as etcd orders
    /// keys. `memcmp` underneath: the store compares keys for every event and every watcher.
    public func sortsBefore(_ other: Bytes) -> Bool {
        let common = Swift.min(count, other.count)
        let order = withUnsafeBufferPointer { lhs in
            other.withUnsafeBufferPointer { rhs in common == 0 ? 0 : memcmp(lhs.baseAddress!, rhs.baseAddress!, common) }
        }
        return order < 0 || (order == 0 && count < other.count)
    }
}

/// etcd's key-range conventions.
public enum KeyRange {
    /// `[0]`: as `range_end`, every key ≥ `key`; as both key and range end, every key.
    public static let allFromKey: Bytes = [0]

    /// The range end that selects every key starting with `prefix`: the prefix with its last
    /// byte below 0xff incremented and the rest dropped (`/p/` → `/p0`); `[0]` when every byte
    /// is 0xff (or the prefix is empty).
    public static func prefixEnd(_ prefix: Bytes) -> Bytes {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    /// True when `candidate` lies in the range selected by `key` and `rangeEnd` with etcd's
    /// rules: empty `rangeEnd` = exactly `key`; `[0]` = every key ≥ `key` (every key when `key`
    /// is `[0]` too); otherwise `key ≤ candidate < rangeEnd`.
    public static func contains(_ candidate: Bytes, key: Bytes, rangeEnd: Bytes) -> Bool {
        if rangeEnd.isEmpty { return candidate == key }
        if isZero(rangeEnd) { return isZero(key) || !candidate.sortsBefore(key) }
        return !candidate.sortsBefore(key) && candidate.sortsBefore(rangeEnd)
    }

    /// False when no key from `lowest` through `highest` can lie in the range selected by
    /// `key` and `rangeEnd` (``contains(_:key:rangeEnd:)``'s rules): one test that lets a
    /// watcher pass over a whole batch of events outside its range.
    public static func overlaps(lowest: Bytes, highest: Bytes, key: Bytes, rangeEnd: Bytes) -> Bool {
        if rangeEnd.isEmpty { return !key.sortsBefore(lowest) && !highest.sortsBefore(key) }
        if isZero(rangeEnd) { return isZero(key) || !highest.sortsBefore(key) }
        return !highest.sortsBefore(key) && lowest.sortsBefore(rangeEnd)
    }

    /// True for `[0]` (``allFromKey``), tested without building an array.
    private static func isZero(_ bytes: Bytes) -> Bool { bytes.count == 1 && bytes[0] == 0 }
}
