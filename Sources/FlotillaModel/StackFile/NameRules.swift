/// Naming rules for stacks and the units inside them.
enum NameRules {
    /// The longest stack or unit name.
    static let maximumLength = 63

    /// Why `name` is not a valid stack name, or nil: `[a-z0-9][a-z0-9-]*`, at most 63 characters.
    static func stackNameProblem(_ name: String) -> String? {
        problem(name, what: "stack", allowed: "lowercase letters, digits and '-'", extra: ["-"])
    }

    /// Why `name` is not a valid unit name, or nil: `[a-z0-9][a-z0-9_-]*`, at most 63 characters.
    static func unitNameProblem(_ name: String) -> String? {
        problem(name, what: "unit", allowed: "lowercase letters, digits, '-' and '_'", extra: ["-", "_"])
    }

    private static func problem(_ name: String, what: String, allowed: String, extra: Set<Character>) -> String? {
        let usage = "\(what) names use \(allowed), start with a letter or digit and have at most \(maximumLength) characters"
        guard let first = name.first else { return "empty \(what) name; \(usage)" }
        if name.count > maximumLength { return "\(what) name '\(name)' is longer than \(maximumLength) characters" }
        let simple: (Character) -> Bool = { ("a"..."z").contains($0) || $0.isASCIIDigit }
        if name.contains("@") { return "invalid \(what) name '\(name)': '@' is reserved for instance names like 'lamp@3'" }
        guard simple(first), name.allSatisfy({ simple($0) || extra.contains($0) }) else {
            return "invalid \(what) name '\(name)'; \(usage)"
        }
        return nil
    }

    /// True for a POSIX environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isASCIIDigit || $0 == "_") }
    }
}
