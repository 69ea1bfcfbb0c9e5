/// systemd's command-line word splitting (used by `Exec*=` and `Environment=`): words are
/// separated by whitespace; `"…"` and `'…'` quote anywhere in a word; backslash escapes
/// (`\n`, `\t`, `\\`, `\"`, `\'`, `\ `, `\xNN`, octal `\NNN`) are decoded.
package enum ExecLine {
    /// One word and the character offset in the input where it starts.
    package struct Word: Sendable, Hashable {
        /// The decoded word.
        package var text: String
        /// Offset of its first character in the input.
        package var offset: Int
    }

    /// Why a line could not be split, and where.
    package struct SplitError: Error, Sendable, Hashable {
        /// What is wrong.
        package var message: String
        /// Offset in the input.
        package var offset: Int
    }

    /// The words of `text`.
    package static func split(_ text: String) -> Result<[Word], SplitError> {
        let chars = Array(text)
        var words: [Word] = []
        var current = ""
        var start: Int?
        var quote: Character?
        var quoteStart = 0
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quote == nil, c == " " || c == "\t" || c == "\n" {
                if let s = start { words.append(Word(text: current, offset: s)) }
                current = ""; start = nil; i += 1
                continue
            }
            if start == nil { start = i }
            if c == "\\" {
                switch unescape(chars, i) {
                case .success(let (decoded, next)): current += decoded; i = next
                case .failure(let error): return .failure(error)
                }
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c; quoteStart = i
            } else {
                current.append(c)
            }
            i += 1
        }
        if let q = quote {
            return .failure(SplitError(message: "unterminated \(q == "\"" ? "double" : "single") quote", offset: quoteStart))
        }
        if let s = start { words.append(Word(text: current, offset: s)) }
        return .success(words)
    }

    private static let simpleEscapes: [Character: String] = [
        "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "n": "\n", "r": "\r", "t": "\t", "v": "\u{0B}",
        "\\": "\\", "\"": "\"", "'": "'", "s": " ", " ": " ", ";": ";",
    ]

    /// Decodes the escape starting at `chars[i]` (a backslash).
    private static func unescape(_ chars: [Character], _ i: Int) -> Result<(String, Int), SplitError> {
        guard i + 1 < chars.count else {
            return .failure(SplitError(message: "trailing backslash; write '\\\\' for a literal backslash", offset: i))
        }
        let e = chars[i + 1]
        if let decoded = simpleEscapes[e] { return .success((decoded, i + 2)) }
        if e == "x" {
            let digits = String(chars.dropFirst(i + 2).prefix(2))
            guard digits.count == 2, let value = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(value) else {
                return .failure(SplitError(message: "invalid escape '\\x\(digits)'; expected two hex digits", offset: i))
            }
            return .success((String(Character(scalar)), i + 4))
        }
        if ("0"..."7").contains(e) {
            let digits = String(chars.dropFirst(i + 1).prefix(3))
            guard digits.count == 3, let value = UInt32(digits, radix: 8), value < 256, let scalar = Unicode.Scalar(value) else {
                return .failure(SplitError(message: "invalid escape '\\\(digits)'; expected three octal digits", offset: i))
            }
            return .success((String(Character(scalar)), i + 4))
        }
        return .failure(SplitError(message: "invalid escape '\\\(e)'; write '\\\\' for a literal backslash", offset: i))
    }
}
