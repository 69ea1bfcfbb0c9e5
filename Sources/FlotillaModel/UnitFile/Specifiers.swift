/// systemd specifiers in unit-file values. `%n %N %p %i` come from the unit name and are
/// resolved when the file is read; `%m %H %b` (machine ID, hostname, boot ID) are only known
/// on the machine and are resolved there, together with `%%`.
public enum Specifiers {
    /// Specifiers known from the unit name.
    public static let nameSpecifiers: Set<Character> = ["n", "N", "p", "i"]
    /// Specifiers only the machine running the unit knows.
    public static let machineSpecifiers: Set<Character> = ["m", "H", "b"]

    /// How a value treats `%m %H %b`.
    package enum MachineUse {
        /// Allowed; kept verbatim (with `%%`) for the agent.
        case keep
        /// An error (`[X-Fleet]`: the scheduler cannot know them; fleet #1364).
        case forbid
    }

    /// Errors for unknown specifiers (and for machine specifiers when forbidden) in `value`,
    /// located through `location(offset)`.
    package static func check(_ value: String, machine: MachineUse, location: (Int) -> SourceLocation) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let chars = Array(value)
        var i = 0
        while i < chars.count {
            guard chars[i] == "%" else { i += 1; continue }
            guard i + 1 < chars.count else {
                diagnostics.append(.error(location(i), "lone '%' at the end of the value; write '%%' for a literal percent sign"))
                break
            }
            let s = chars[i + 1]
            if s == "%" || nameSpecifiers.contains(s) {
                // fine
            } else if machineSpecifiers.contains(s) {
                if machine == .forbid {
                    diagnostics.append(.error(location(i), "specifier '%\(s)' is only known on the machine running the unit and cannot be used in [X-Fleet]; use %n, %N, %p or %i"))
                }
            } else {
                diagnostics.append(.error(location(i), "unknown specifier '%\(s)'; Flotilla supports %n %N %p %i %m %H %b, and '%%' for a literal percent sign"))
            }
            i += 2
        }
        return diagnostics
    }

    /// `value` with `%n %N %p %i` replaced from `name`. With `keepingMachine`, `%m %H %b` and
    /// `%%` stay as written (for ``resolveMachine(_:machineID:hostname:bootID:)``); otherwise
    /// `%%` becomes `%`. Anything else after `%` is kept as written.
    public static func resolve(_ value: String, name: UnitName, keepingMachine: Bool) -> String {
        replace(value) { s in
            switch s {
            case "n": name.name
            case "N": name.withoutSuffix
            case "p": name.prefix
            case "i": name.instance
            case "%": keepingMachine ? nil : "%"
            default: nil
            }
        }
    }

    /// `value` with `%m %H %b` and `%%` resolved: what the agent does before running a unit.
    public static func resolveMachine(_ value: String, machineID: String, hostname: String, bootID: String) -> String {
        replace(value) { s in
            switch s {
            case "m": machineID
            case "H": hostname
            case "b": bootID
            case "%": "%"
            default: nil
            }
        }
    }

    /// Replaces `%x` by `replacement(x)`, keeping `%x` when it returns nil.
    private static func replace(_ value: String, _ replacement: (Character) -> String?) -> String {
        guard value.contains("%") else { return value }
        var result = ""
        let chars = Array(value)
        var i = 0
        while i < chars.count {
            if chars[i] == "%", i + 1 < chars.count {
                if let text = replacement(chars[i + 1]) {
                    result += text
                } else {
                    result.append(chars[i]); result.append(chars[i + 1])
                }
                i += 2
            } else {
                result.append(chars[i]); i += 1
            }
        }
        return result
    }
}
