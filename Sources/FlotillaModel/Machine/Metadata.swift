/// Multi-valued labels: a machine may carry `role=web` and `role=db` at once.
/// Keys are kept sorted; each key's values keep their order without duplicates.
public struct Metadata: Sendable, Hashable, Codable, ExpressibleByDictionaryLiteral {
    /// key → values.
    public private(set) var values: [String: [String]]

    /// Empty metadata.
    public init() { values = [:] }

    /// From a key → values dictionary.
    public init(_ values: [String: [String]]) {
        self.values = [:]
        for (key, list) in values { for value in list { add(key, value) } }
    }

    /// `["region": "eu", "disk": "ssd"]`.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        for (key, value) in elements { add(key, value) }
    }

    /// Adds one value to a key.
    public mutating func add(_ key: String, _ value: String) {
        var list = values[key, default: []]
        if !list.contains(value) { list.append(value) }
        values[key] = list
    }

    /// The values of `key` (empty when absent).
    public subscript(key: String) -> [String] { values[key] ?? [] }

    /// True when the machine carries `key=value`.
    public func has(_ key: String, _ value: String) -> Bool { values[key]?.contains(value) ?? false }

    /// Sorted keys.
    public var keys: [String] { values.keys.sorted() }

    /// True when there are no labels.
    public var isEmpty: Bool { values.isEmpty }

    /// `disk=ssd,region=eu` (sorted keys; repeated keys repeated), fleet's list-machines style.
    public var summary: String {
        keys.flatMap { key in self[key].map { "\(key)=\($0)" } }.joined(separator: ",")
    }

    public init(from decoder: any Decoder) throws {
        self.init(try [String: [String]](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try values.encode(to: encoder)
    }
}
