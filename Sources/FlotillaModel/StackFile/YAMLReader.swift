import Yams

/// Reads a composed YAML tree for one spec file, recording every problem as a diagnostic at
/// the exact line and column of the offending key or value. One reader collects all of a
/// file's problems so that a single pass reports them together.
final class YAMLReader {
    /// One key of a mapping, with the nodes needed to point at the key or its value.
    struct Entry {
        /// The key text.
        let key: String
        /// The key node (for "unknown key" and "duplicate" positions).
        let keyNode: Node
        /// The value node.
        let value: Node
    }

    /// The file name used in diagnostics.
    let file: String
    /// Everything found so far, in the order found.
    private(set) var diagnostics: [Diagnostic] = []

    /// A reader for `file`.
    init(file: String) { self.file = file }

    /// Where `node` starts.
    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    /// Records an error at `node`.
    func error(_ node: Node, _ message: String) {
        diagnostics.append(.error(location(node), message))
    }

    /// Records an already formed diagnostic (e.g. one from a reused unit file).
    func append(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    /// Records an error at a location.
    func error(at location: SourceLocation, _ message: String) {
        diagnostics.append(.error(location, message))
    }

    /// The entries of a mapping. Reports a non-mapping value (and returns nil), non-scalar keys,
    /// and keys outside `known` with a did-you-mean hint (those entries are dropped).
    /// `context` completes "unknown key 'x' …", e.g. `in stack 'lamp'`.
    func entries(_ node: Node, of name: String, context: String, known: [String]? = nil) -> [Entry]? {
        guard case .mapping(let mapping) = node else {
            error(node, "expected a mapping for '\(name)', found \(node.kindDescription)")
            return nil
        }
        var result: [Entry] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalarText else {
                error(keyNode, "expected a string key \(context), found \(keyNode.kindDescription)")
                continue
            }
            if let known, !known.contains(key) {
                error(keyNode, "unknown key '\(key)' \(context)\(Suggestion.hint(for: key, among: known))")
                continue
            }
            result.append(Entry(key: key, keyNode: keyNode, value: value))
        }
        return result
    }

    /// A non-null scalar's text, or an error naming `name`.
    func string(_ node: Node, _ name: String) -> String? {
        guard let text = node.scalarText, !node.isNull else {
            error(node, "expected a string for '\(name)', found \(node.kindDescription)")
            return nil
        }
        return text
    }

    /// A plain integer scalar, or an error naming `name`.
    func integer(_ node: Node, _ name: String) -> Int? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any,
              let value = Int(scalar.string) else {
            error(node, "expected an integer for '\(name)', found \(node.kindDescription)")
            return nil
        }
        return value
    }

    /// `true` or `false`, or an error naming `name`.
    func bool(_ node: Node, _ name: String) -> Bool? {
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any {
            switch scalar.string {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        error(node, "expected true or false for '\(name)', found \(node.kindDescription)")
        return nil
    }

    /// A list of non-null scalars with their nodes, or an error naming `name`. Bad items are
    /// reported individually and dropped.
    func stringList(_ node: Node, _ name: String) -> [(text: String, node: Node)]? {
        guard case .sequence(let sequence) = node else {
            error(node, "expected a list of strings for '\(name)', found \(node.kindDescription)")
            return nil
        }
        var result: [(text: String, node: Node)] = []
        for item in sequence {
            guard let text = item.scalarText, !item.isNull else {
                error(item, "expected a list of strings for '\(name)', found \(item.kindDescription) in the list")
                continue
            }
            result.append((text, item))
        }
        return result
    }

    /// A list of integers with their nodes, or an error naming `name`.
    func integerList(_ node: Node, _ name: String) -> [(value: Int, node: Node)]? {
        guard case .sequence(let sequence) = node else {
            error(node, "expected a list of integers for '\(name)', found \(node.kindDescription)")
            return nil
        }
        var result: [(value: Int, node: Node)] = []
        for item in sequence {
            guard let value = integer(item, name) else { continue }
            result.append((value, item))
        }
        return result
    }
}

extension Node {
    /// The text of a scalar (null scalars included), nil for mappings, lists and aliases.
    var scalarText: String? {
        if case .scalar(let scalar) = self { return scalar.string }
        return nil
    }

    /// True for an empty value, `~` or `null` written without quotes.
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// "a mapping", "a list", "nothing", "'text'": what was found, for type errors.
    var kindDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull { return "nothing" }
            return "'\(scalar.string)'"
        }
    }
}
