import Yams

/// Reads a stack's `placement:` and `spread:`.
struct PlacementSyntax {
    /// The keys of `placement:`.
    static let keys = ["metadata", "machine", "machine_of", "conflicts"]

    /// Where problems go.
    let reader: YAMLReader
    /// The stack, for messages.
    let stackName: String

    /// `{ metadata: {k: v | [v…]}, machine: ID, machine_of: [inst…], conflicts: [glob…] }`.
    func placement(_ node: Node) -> PlacementRules {
        var rules = PlacementRules()
        let context = "in placement of stack '\(stackName)'"
        for entry in reader.entries(node, of: "placement", context: context, known: Self.keys) ?? [] {
            switch entry.key {
            case "metadata": rules.metadata = reader.metadata(entry.value, of: "metadata")
            case "machine":
                guard let id = reader.string(entry.value, "machine") else { break }
                if id.isEmpty || !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isASCIIDigit || "-_.".contains($0)) }) {
                    reader.error(entry.value, "invalid machine ID '\(id)'; give the full machine ID or its first 8 characters")
                } else {
                    rules.machineID = id
                }
            case "machine_of":
                for item in reader.stringList(entry.value, "machine_of") ?? [] {
                    if let problem = machineOfProblem(item.text) { reader.error(item.node, problem) } else {
                        rules.machineOf.append(item.text)
                    }
                }
            default:
                for item in reader.stringList(entry.value, "conflicts") ?? [] {
                    let glob = Glob(item.text)
                    if item.text.isEmpty || !glob.isValid {
                        reader.error(item.node, "invalid glob '\(item.text)' in conflicts; use '*', '?', '[a-z]' and '\\' to escape")
                    } else {
                        rules.conflicts.append(glob)
                    }
                }
            }
        }
        return rules
    }

    private func machineOfProblem(_ text: String) -> String? {
        if text.isEmpty || text.contains(where: \.isWhitespace) {
            return "invalid machine_of '\(text)'; give an instance name like 'db@%i' or 'db@1'"
        }
        var rest = Substring(text)
        while let percent = rest.firstIndex(of: "%") {
            let next = rest.index(after: percent)
            guard next < rest.endIndex, rest[next] == "i" else {
                return "invalid machine_of '\(text)': only '%i' (this instance's index) may follow '%'"
            }
            rest = rest[rest.index(after: next)...]
        }
        return nil
    }

    /// `machine` or `{ metadata: KEY }`.
    func spread(_ node: Node) -> Spread? {
        if case .mapping = node {
            let entries = reader.entries(node, of: "spread", context: "in spread of stack '\(stackName)'", known: ["metadata"]) ?? []
            guard let key = entries.first else {
                reader.error(node, "spread needs 'metadata: KEY', e.g. '{ metadata: zone }'")
                return nil
            }
            guard let name = reader.string(key.value, "metadata") else { return nil }
            guard !name.isEmpty else { reader.error(key.value, "empty metadata key in spread"); return nil }
            return .metadata(key: name)
        }
        if let text = node.scalarText, !node.isNull {
            if text == "machine" { return .machine }
            reader.error(node, "invalid spread '\(text)'; use 'machine' or '{ metadata: KEY }'\(Suggestion.hint(for: text, among: ["machine"]))")
            return nil
        }
        reader.error(node, "expected 'machine' or a mapping for 'spread', found \(node.kindDescription)")
        return nil
    }
}
