/// A systemd unit name as fleet validated it (`api/units.go:ValidateName`), split into the
/// parts that specifiers use: `api@1.service` has prefix `api`, instance `1`, suffix `service`.
public struct UnitName: Sendable, Hashable, CustomStringConvertible {
    /// The systemd unit types fleet knew.
    public static let knownSuffixes = ["service", "socket", "busname", "target", "snapshot", "device", "mount",
                                       "automount", "swap", "timer", "path", "slice", "scope"]
    /// Unit types whose names may contain `@`.
    public static let templatableSuffixes = ["service", "socket", "target", "timer", "path"]

    /// The full name (`%n`).
    public let name: String
    /// Text before the first `@`, or the name without suffix when there is none (`%p`).
    public let prefix: String
    /// Text between the first `@` and the last `.` (`%i`); empty for templates and plain names.
    public let instance: String
    /// The unit type, without the dot: `service`.
    public let suffix: String

    /// Parses a valid name; nil when ``validate(_:)`` reports a problem.
    public init?(_ name: String) {
        guard UnitName.validate(name) == nil else { return nil }
        self.init(unchecked: name)
    }

    private init(unchecked name: String) {
        self.name = name
        let dot = name.lastIndex(of: ".")!
        suffix = String(name[name.index(after: dot)...])
        if let at = name.firstIndex(of: "@") {
            prefix = String(name[..<at])
            instance = String(name[name.index(after: at)..<dot])
        } else {
            prefix = String(name[..<dot])
            instance = ""
        }
    }

    /// The name without its suffix (`%N`): `api@1`.
    public var withoutSuffix: String { String(name[..<name.lastIndex(of: ".")!]) }

    /// True for names with `@` (templates and their instances).
    public var hasAt: Bool { name.contains("@") }

    /// True for a template such as `api@.service` (an `@` and an empty instance).
    public var isTemplate: Bool { hasAt && instance.isEmpty }

    /// The template this instance comes from: `api@.service` for `api@1.service`; nil otherwise.
    public var templateName: String? { hasAt && !instance.isEmpty ? "\(prefix)@.\(suffix)" : nil }

    /// This template's instance `instance`: `api@.service` → `api@3.service`.
    public func instantiated(_ instance: String) -> UnitName? { UnitName("\(prefix)@\(instance).\(suffix)") }

    /// The full name.
    public var description: String { name }

    /// Why `name` is not a valid unit name, or nil when it is.
    public static func validate(_ name: String) -> String? {
        if name.isEmpty { return "empty unit name" }
        if name.count > 256 { return "unit name '\(name.prefix(20))…' is longer than 256 characters" }
        if let bad = name.first(where: { !isNameCharacter($0) }) {
            return "unit name '\(name)' contains '\(bad)'; allowed are letters, digits and ':_.@-\\'"
        }
        if name.hasPrefix("@") { return "unit name '\(name)' starts with '@'" }
        // The API's one grammar for names in paths: a unit that can be applied can be addressed.
        if let problem = RequestName.problem(name, what: "unit") { return problem }
        guard let dot = name.lastIndex(of: "."), !name[..<dot].isEmpty else {
            return "unit name '\(name)' has no unit type suffix such as '.service'"
        }
        let suffix = String(name[name.index(after: dot)...])
        guard knownSuffixes.contains(suffix) else {
            return "unit name '\(name)' has unknown suffix '.\(suffix)'" + Suggestion.hint(for: suffix, among: knownSuffixes)
        }
        if name.contains("@"), !templatableSuffixes.contains(suffix) {
            return "unit name '\(name)' contains '@' but '.\(suffix)' units cannot be templates"
        }
        return nil
    }

    private static func isNameCharacter(_ c: Character) -> Bool {
        guard c.isASCII else { return false }
        return c.isLetter || c.isNumber || ":_.@-\\".contains(c)
    }
}
