import FlotillaModel

/// What systemd does to an `Exec*=` line just before running it, given the unit's
/// environment: `%m %H %b %%` are resolved (the other specifiers were resolved when the spec
/// was read); `${NAME}` is replaced by the value, always within one argument; a `$NAME` that
/// is a whole argument becomes the value split at whitespace (zero or more arguments); `$$`
/// is a literal `$`. Unset variables are empty.
package enum ExecExpansion {
    /// The machine facts specifiers refer to.
    package struct MachineFacts: Sendable, Hashable {
        /// `%m`.
        package var machineID: String
        /// `%H`.
        package var hostname: String
        /// `%b`.
        package var bootID: String

        /// Facts.
        package init(machineID: String, hostname: String, bootID: String) {
            self.machineID = machineID; self.hostname = hostname; self.bootID = bootID
        }
    }

    /// `%m %H %b %%` resolved in `text`.
    package static func specifiers(_ text: String, _ facts: MachineFacts) -> String {
        Specifiers.resolveMachine(text, machineID: facts.machineID, hostname: facts.hostname, bootID: facts.bootID)
    }

    /// The argument vector to execute.
    package static func expand(_ arguments: [String], environment: [String: String], facts: MachineFacts) -> [String] {
        var result: [String] = []
        for (index, raw) in arguments.enumerated() {
            let word = specifiers(raw, facts)
            if index > 0, word.hasPrefix("$"), EnvironmentFileParser.isName(String(word.dropFirst())) {
                let value = environment[String(word.dropFirst())] ?? ""
                result += value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
                continue
            }
            result.append(substitute(word, environment))
        }
        return result
    }

    /// `${NAME}` and `$$` replaced inside one word.
    static func substitute(_ word: String, _ environment: [String: String]) -> String {
        guard word.contains("$") else { return word }
        let chars = Array(word)
        var out = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 1 < chars.count {
                if chars[i + 1] == "$" { out.append("$"); i += 2; continue }
                if chars[i + 1] == "{", let close = chars[(i + 2)...].firstIndex(of: "}") {
                    let name = String(chars[(i + 2)..<close])
                    if EnvironmentFileParser.isName(name) {
                        out += environment[name] ?? ""
                        i = close + 1
                        continue
                    }
                }
            }
            out.append(chars[i])
            i += 1
        }
        return out
    }
}
