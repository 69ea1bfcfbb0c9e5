/// Splits a command line into arguments with shell-like quoting: whitespace separates words,
/// `'…'` is literal, `"…"` allows `\"`, `\\` and `\$` escapes, and `\` outside quotes escapes
/// the next character. No expansion of any kind happens.
enum ShellWords {
    /// Why a command line could not be split.
    enum Failure: Error, Equatable {
        /// A quote was opened and never closed.
        case unterminatedQuote(Character)
        /// The line ends in a lone backslash.
        case trailingBackslash
    }

    /// The words of `line`.
    static func split(_ line: String) -> Result<[String], Failure> {
        var words: [String] = []
        var current = ""
        var inWord = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            switch c {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(current); current = ""; inWord = false }
            case "'":
                inWord = true
                var closed = false
                while let q = chars.next() {
                    if q == "'" { closed = true; break }
                    current.append(q)
                }
                if !closed { return .failure(.unterminatedQuote("'")) }
            case "\"":
                inWord = true
                var closed = false
                while let q = chars.next() {
                    if q == "\"" { closed = true; break }
                    if q == "\\" {
                        guard let escaped = chars.next() else { break }
                        if !["\"", "\\", "$"].contains(escaped) { current.append("\\") }
                        current.append(escaped)
                    } else {
                        current.append(q)
                    }
                }
                if !closed { return .failure(.unterminatedQuote("\"")) }
            case "\\":
                guard let escaped = chars.next() else { return .failure(.trailingBackslash) }
                inWord = true
                current.append(escaped)
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        return .success(words)
    }
}
