/// Reads `EnvironmentFile=` text the way systemd does: one `NAME=value` per line; blank
/// lines and lines starting with `#` or `;` are skipped; whitespace around the name and the
/// value is dropped; a value may be in single quotes (kept as is) or double quotes (with
/// `\"`, `\\`, `\$` and `` \` `` escapes); outside quotes a backslash escapes the next
/// character, and a backslash at the end of a line joins the next line.
package enum EnvironmentFileParser {
    /// The assignments in `text`, in order, and the lines that are not assignments.
    package static func parse(_ text: String) -> (assignments: [(name: String, value: String)], invalidLines: [Int]) {
        var assignments: [(name: String, value: String)] = []
        var invalid: [Int] = []
        let lines = joinContinuations(text)
        for (number, line) in lines {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            guard let equals = trimmed.firstIndex(of: "=") else { invalid.append(number); continue }
            var name = String(trimmed[..<equals])
            while name.last == " " || name.last == "\t" { name.removeLast() }
            if name.hasPrefix("export ") { name = String(name.dropFirst(7)).trimmingBlanks() }
            guard isName(name) else { invalid.append(number); continue }
            assignments.append((name, value(trimmed[trimmed.index(after: equals)...])))
        }
        return (assignments, invalid)
    }

    /// Lines with their 1-based numbers, after joining lines that end in an unquoted `\`.
    private static func joinContinuations(_ text: String) -> [(Int, Substring)] {
        var result: [(Int, Substring)] = []
        var pending: String?
        var start = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            let trailing = line.reversed().prefix { $0 == "\\" }.count
            if trailing % 2 == 1 {
                if pending == nil { start = index + 1 }
                pending = (pending ?? "") + line.dropLast()
                continue
            }
            if let joined = pending {
                result.append((start, Substring(joined + line)))
                pending = nil
            } else {
                result.append((index + 1, line))
            }
        }
        if let pending { result.append((start, Substring(pending))) }
        return result
    }

    /// The value after `=`.
    private static func value(_ raw: Substring) -> String {
        var chars = Array(raw.drop { $0 == " " || $0 == "\t" })
        if let first = chars.first, first == "'" || first == "\"", chars.count >= 2, chars.last == first {
            chars = Array(chars.dropFirst().dropLast())
            guard first == "\"" else { return String(chars) }
            var out = ""
            var i = 0
            while i < chars.count {
                if chars[i] == "\\", i + 1 < chars.count, "\"\\$`".contains(chars[i + 1]) {
                    out.append(chars[i + 1]); i += 2
                } else {
                    out.append(chars[i]); i += 1
                }
            }
            return out
        }
        var out = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 1 < chars.count { out.append(chars[i + 1]); i += 2 } else { out.append(chars[i]); i += 1 }
        }
        while out.last == " " || out.last == "\t" { out.removeLast() }
        return out
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`.
    static func isName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
