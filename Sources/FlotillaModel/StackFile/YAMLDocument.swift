import Yams

/// Composes YAML text into a node tree, turning Yams' syntax errors into diagnostics with
/// their positions. A syntax error stops the file: nothing after it can be trusted.
enum YAMLDocument {
    /// The document's root node; nil (with a diagnostic in `reader`) when the text is not
    /// valid YAML, holds several documents, or is empty.
    static func compose(_ text: String, reader: YAMLReader) -> Node? {
        do {
            guard let root = try Yams.compose(yaml: text), !root.isNull else {
                reader.error(at: SourceLocation(file: reader.file, line: 1, column: 1), "the file is empty")
                return nil
            }
            return root
        } catch let error as YamlError {
            let (line, column, message) = describe(error, text: text)
            reader.error(at: SourceLocation(file: reader.file, line: line, column: column), message)
            return nil
        } catch {
            reader.error(at: SourceLocation(file: reader.file, line: 1, column: 1), "invalid YAML: \(error)")
            return nil
        }
    }

    /// Line, column and message for a Yams error.
    private static func describe(_ error: YamlError, text: String) -> (Int, Int, String) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            if let plain = plainWords(problem, at: mark, in: text) { return (mark.line, mark.column, plain) }
            let while_ = context.map { " (\($0.text))" } ?? ""
            return (mark.line, mark.column, "invalid YAML: \(problem)\(while_)")
        case let .reader(problem, offset, _, _):
            let (line, column) = position(ofUTF8Offset: offset ?? 0, in: text)
            return (line, column, "invalid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            let first = context.mark
            let (line, column) = secondOccurrence(of: key, after: first, in: text) ?? (first.line, first.column)
            return (line, column, "duplicate key '\(key)' (first defined at line \(first.line))")
        default:
            return (1, 1, "invalid YAML: \(error)")
        }
    }

    /// libyaml's problems that read like its C API, or that have a likelier cause the user can
    /// act on, in the user's words; nil for the rest (they are clear as they are).
    static func plainWords(_ problem: String, at mark: Mark, in text: String) -> String? {
        if problem.contains("nesting level") {
            return "invalid YAML: lists and mappings are nested too deeply (more than 1000 levels)"
        }
        if problem.contains("another document") {
            return "invalid YAML: the file holds more than one document ('---'); put every stack in one document"
        }
        if problem.contains("cannot start any token") {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if mark.line >= 1, mark.line <= lines.count, lines[mark.line - 1].prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
                return "invalid YAML: a tab indents this line; YAML is indented with spaces only"
            }
        }
        return nil
    }

    /// 1-based line and column of a byte offset.
    private static func position(ofUTF8Offset offset: Int, in text: String) -> (Int, Int) {
        var line = 1, column = 1
        for (index, byte) in text.utf8.enumerated() {
            if index >= offset { break }
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }

    /// Where a duplicated key is written again: Yams only reports the first occurrence, so look
    /// for the same key at the same indentation further down the same block mapping, or later
    /// on the same line for a flow mapping.
    static func secondOccurrence(of key: String, after mark: Mark, in text: String) -> (Int, Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let indent = mark.column - 1
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        func startsWithKey(_ chars: ArraySlice<Character>) -> Bool {
            for spelling in spellings where chars.starts(with: spelling) {
                let rest = chars.dropFirst(spelling.count).drop { $0 == " " }
                if rest.first == ":" { return true }
            }
            return false
        }
        var index = mark.line
        while index < lines.count {
            let chars = lines[index]
            let leading = chars.prefix { $0 == " " }.count
            let content = chars.dropFirst(leading)
            index += 1
            if content.isEmpty || content.first == "#" { continue }
            if leading < indent { break }
            if leading == indent, startsWithKey(content) { return (index, indent + 1) }
        }
        let first = lines[mark.line - 1]
        var column = indent + key.count
        while column < first.count {
            if first[column] == "," || first[column] == "{" {
                let start = first[(column + 1)...].prefix { $0 == " " }.count + column + 1
                if start < first.count, startsWithKey(first[start...]) { return (mark.line, start + 1) }
            }
            column += 1
        }
        return nil
    }
}
