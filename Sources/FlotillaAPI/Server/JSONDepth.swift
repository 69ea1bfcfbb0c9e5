/// How deeply a JSON document nests, checked before it is decoded: a body of a million `[`
/// would otherwise be parsed to the last one (and a recursive decoder could run out of stack).
enum JSONDepth {
    /// The deepest nesting a request body may have; the API's own messages nest about 10 deep.
    static let limit = 64

    /// Whether `bytes` nests arrays and objects more than `limit` deep (brackets inside strings
    /// do not count).
    static func exceeds(_ bytes: some Sequence<UInt8>, limit: Int) -> Bool {
        var depth = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return false
    }
}
