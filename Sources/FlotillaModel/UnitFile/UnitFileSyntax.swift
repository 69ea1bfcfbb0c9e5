/// One `Key=Value` line of a systemd unit file, after continuation lines were joined.
package struct UnitFileEntry: Sendable, Hashable {
    /// The section the assignment is in (`Service`).
    package var section: String
    /// The key, trimmed.
    package var key: String
    /// The value, trimmed; continuation lines are joined with a space.
    package var value: String
    /// Where the key starts.
    package var keyLocation: SourceLocation
    /// Where each piece of the value starts: (character offset in `value`, location). A value
    /// continued over several lines has one piece per line.
    package var pieces: [(offset: Int, location: SourceLocation)]

    /// Where the value starts (the key's location when the value is empty).
    package var valueLocation: SourceLocation { pieces.first?.location ?? keyLocation }

    /// The location of the character at `offset` in `value`.
    package func location(at offset: Int) -> SourceLocation {
        guard var best = pieces.first else { return keyLocation }
        for piece in pieces where piece.offset <= offset { best = piece }
        var location = best.location
        location.column += offset - best.offset
        return location
    }

    /// Equal when section, key, value and key location are (value pieces follow from them).
    package static func == (lhs: UnitFileEntry, rhs: UnitFileEntry) -> Bool {
        lhs.section == rhs.section && lhs.key == rhs.key && lhs.value == rhs.value && lhs.keyLocation == rhs.keyLocation
    }

    /// Hashes what `==` compares.
    package func hash(into hasher: inout Hasher) {
        hasher.combine(section); hasher.combine(key); hasher.combine(value); hasher.combine(keyLocation)
    }
}

/// A `[Name]` section header.
package struct UnitFileSection: Sendable, Hashable {
    /// The name between the brackets.
    package var name: String
    /// Where the name starts (just after `[`).
    package var location: SourceLocation
}

/// Generic systemd unit-file syntax: sections, comments (`#`, `;`), backslash continuation,
/// `Key=Value` assignments. Meaning is given by the section readers; this only reads lines.
package enum UnitFileSyntax {
    /// The sections (in order, repeated headers included) and assignments of `text`.
    package static func parse(text: String, file: String) -> (sections: [UnitFileSection], entries: [UnitFileEntry], diagnostics: [Diagnostic]) {
        var sections: [UnitFileSection] = []
        var entries: [UnitFileEntry] = []
        var diagnostics: [Diagnostic] = []
        var current: String?
        let lines = splitLines(text)
        var index = 0
        while index < lines.count {
            let lineNumber = index + 1
            let raw = Array(lines[index])
            index += 1
            var start = 0
            while start < raw.count, raw[start] == " " || raw[start] == "\t" { start += 1 }
            if start == raw.count || raw[start] == "#" || raw[start] == ";" { continue }
            func at(_ column: Int, _ line: Int = lineNumber) -> SourceLocation { SourceLocation(file: file, line: line, column: column + 1) }

            // Join continuation lines: a trailing backslash becomes a space; comment lines inside are skipped.
            var joined = Array(raw[start...])
            var pieces: [(offset: Int, location: SourceLocation)] = [(0, at(start))]
            var continuing = joined.last == "\\"
            if continuing { joined[joined.count - 1] = " " }
            while continuing, index < lines.count {
                let next = Array(lines[index])
                let nextLine = index + 1
                index += 1
                let indent = next.prefix { $0 == " " || $0 == "\t" }.count
                if indent < next.count, next[indent] == "#" || next[indent] == ";" { continue }
                pieces.append((joined.count, SourceLocation(file: file, line: nextLine, column: 1)))
                joined += next
                continuing = joined.last == "\\"
                if continuing { joined[joined.count - 1] = " " }
            }
            func location(_ offset: Int) -> SourceLocation {
                var best = pieces[0]
                for piece in pieces where piece.offset <= offset { best = piece }
                var location = best.location
                location.column += offset - best.offset
                return location
            }
            while let last = joined.last, last == " " || last == "\t" || last == "\r" { joined.removeLast() }

            if joined.first == "[" {
                // A broken header is reported once; its name is still used, so the lines below
                // it are checked against the section the author meant.
                let close = joined.firstIndex(of: "]") ?? joined.count
                let name = String(joined[1..<close])
                if close == joined.count {
                    diagnostics.append(.error(location(joined.count), "section header is missing ']'; write '[\(name)]'"))
                } else if close + 1 < joined.count {
                    diagnostics.append(.error(location(close + 1), "unexpected text after section header '[\(name)]'"))
                }
                if name.isEmpty || name.contains("[") {
                    diagnostics.append(.error(location(1), "invalid section name '\(name)'"))
                    current = nil
                    continue
                }
                sections.append(UnitFileSection(name: name, location: location(1)))
                current = name
                continue
            }

            guard let equals = joined.firstIndex(of: "=") else {
                diagnostics.append(.error(location(0), "expected 'Key=Value', found '\(String(joined))'"))
                continue
            }
            var keyEnd = equals
            while keyEnd > 0, joined[keyEnd - 1] == " " || joined[keyEnd - 1] == "\t" { keyEnd -= 1 }
            guard keyEnd > 0 else {
                diagnostics.append(.error(location(equals), "missing key before '='"))
                continue
            }
            let key = String(joined[0..<keyEnd])
            guard let section = current else {
                if sections.isEmpty {
                    diagnostics.append(.error(location(0), "'\(key)' is outside any section; add a section header such as '[Service]' above it"))
                } else {
                    diagnostics.append(.error(location(0), "'\(key)' follows an invalid section header"))
                }
                continue
            }
            var valueStart = equals + 1
            while valueStart < joined.count, joined[valueStart] == " " || joined[valueStart] == "\t" { valueStart += 1 }
            let value = String(joined[valueStart...])
            var valuePieces: [(offset: Int, location: SourceLocation)] = [(0, location(valueStart))]
            for piece in pieces where piece.offset > valueStart {
                valuePieces.append((piece.offset - valueStart, piece.location))
            }
            if value.isEmpty { valuePieces = [(0, location(valueStart))] }
            entries.append(UnitFileEntry(section: section, key: key, value: value, keyLocation: location(0), pieces: valuePieces))
        }
        return (sections, entries, diagnostics)
    }

    /// Lines split on `\n`, `\r\n` counted as one break.
    private static func splitLines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }
}
