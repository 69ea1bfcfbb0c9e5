import Yams

extension YAMLReader {
    /// Reads `{ disk: ssd, region: [eu, us] }`: each key has one value or a list of values,
    /// kept in written order without duplicates. `name` is the key holding the mapping.
    func metadata(_ node: Node, of name: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for entry in entries(node, of: name, context: "in \(name)") ?? [] {
            if entry.key.isEmpty { error(entry.keyNode, "empty metadata key"); continue }
            var values: [String] = []
            if case .sequence = entry.value {
                guard let list = stringList(entry.value, entry.key) else { continue }
                if list.isEmpty { error(entry.value, "metadata '\(entry.key)' lists no values") }
                values = list.map(\.text)
            } else if let value = string(entry.value, entry.key) {
                values = [value]
            }
            for value in values where !result[entry.key, default: []].contains(value) {
                result[entry.key, default: []].append(value)
            }
        }
        return result
    }
}
