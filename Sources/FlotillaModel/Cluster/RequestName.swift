/// The one grammar every name in an API path follows — stacks, instances, units, machines,
/// tokens — so that no name can reach a store key or a file path with a `/` or a `..`:
/// 1 to 253 characters of letters, digits and `:_.@-\`, not starting with `.` or `-`, with no
/// `..`. Each kind of name keeps within it (stack names, unit names, machine IDs and token
/// names are stricter still), so whatever can be applied can be addressed; this one is what
/// the API checks before anything else.
public enum RequestName {
    /// The longest name.
    public static let maxLength = 253

    /// Why `text` cannot be a `what` name (e.g. "instance"), or nil when it can.
    public static func problem(_ text: String, what: String) -> String? {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        if text.isEmpty { return "the \(what) name is empty" }
        if text.count > maxLength { return "the \(what) name '\(shown)' is longer than \(maxLength) characters" }
        if let bad = text.first(where: { !isAllowed($0) }) {
            let character = bad.isASCII && !bad.isWhitespace && bad.asciiValue.map({ $0 >= 32 && $0 < 127 }) == true ? "'\(bad)'" : "a control or non-ASCII character"
            return "the \(what) name '\(shown)' contains \(character); names use letters, digits and ':_.@-\\'"
        }
        if text.hasPrefix(".") || text.hasPrefix("-") { return "the \(what) name '\(shown)' starts with '\(text.first!)'" }
        if text.contains("..") { return "the \(what) name '\(shown)' contains '..'" }
        return nil
    }

    private static func isAllowed(_ character: Character) -> Bool {
        guard character.isASCII, let value = character.asciiValue else { return false }
        return (65...90).contains(value) || (97...122).contains(value) || (48...57).contains(value) || ":_.@-\\".contains(character)
    }
}
