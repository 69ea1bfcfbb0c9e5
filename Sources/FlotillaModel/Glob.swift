/// A shell-style name pattern with Go `path.Match` semantics, as fleet's `Conflicts=` used:
/// `*` (any run of characters except `/`), `?` (one character except `/`), `[abc]`, `[a-z]`,
/// `[^a-z]` (also `[!a-z]`), and `\` to escape. A malformed pattern never matches; use
/// ``isValid`` to reject it up front.
public struct Glob: Sendable, Hashable, Codable, CustomStringConvertible {
    private enum Token: Sendable, Hashable {
        case literal(Character)
        case any            // ?
        case star           // *
        case set(negated: Bool, ranges: [ClosedRange<Character>])
    }

    /// The pattern text.
    public let pattern: String
    private let tokens: [Token]
    /// False when the pattern is malformed (an unclosed `[`, a trailing `\`, a reversed range).
    public let isValid: Bool
    /// True when the pattern has no special characters (matching is plain equality).
    public let isLiteral: Bool
    private let literalText: String

    /// Compiles a pattern.
    public init(_ pattern: String) {
        self.pattern = pattern
        if let tokens = Glob.compile(Array(pattern)) {
            self.tokens = tokens
            self.isValid = true
            self.isLiteral = tokens.allSatisfy { if case .literal = $0 { true } else { false } }
            self.literalText = String(tokens.compactMap { if case .literal(let c) = $0 { c } else { nil } })
        } else {
            self.tokens = []
            self.isValid = false
            self.isLiteral = false
            self.literalText = ""
        }
    }

    public var description: String { pattern }
    public init(from decoder: any Decoder) throws { self.init(try String(from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try pattern.encode(to: encoder) }
    public static func == (lhs: Glob, rhs: Glob) -> Bool { lhs.pattern == rhs.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }

    /// True when the whole of `name` matches the pattern.
    public func matches(_ name: String) -> Bool {
        guard isValid else { return false }
        if isLiteral { return name == literalText }
        return Glob.match(tokens, Array(name))
    }

    private static func compile(_ p: [Character]) -> [Token]? {
        var tokens: [Token] = []
        var i = 0
        while i < p.count {
            switch p[i] {
            case "*": tokens.append(.star); i += 1
            case "?": tokens.append(.any); i += 1
            case "\\":
                guard i + 1 < p.count else { return nil }
                tokens.append(.literal(p[i + 1])); i += 2
            case "[":
                i += 1
                var negated = false
                if i < p.count, p[i] == "^" || p[i] == "!" { negated = true; i += 1 }
                var ranges: [ClosedRange<Character>] = []
                var closed = false
                while i < p.count {
                    if p[i] == "]" && !ranges.isEmpty { closed = true; i += 1; break }
                    guard let (lo, next) = classChar(p, i) else { return nil }
                    i = next
                    var hi = lo
                    if i + 1 < p.count, p[i] == "-", p[i + 1] != "]" {
                        guard let (h, after) = classChar(p, i + 1) else { return nil }
                        hi = h; i = after
                    }
                    guard lo <= hi else { return nil }
                    ranges.append(lo...hi)
                }
                guard closed else { return nil }
                tokens.append(.set(negated: negated, ranges: ranges))
            default:
                tokens.append(.literal(p[i])); i += 1
            }
        }
        return tokens
    }

    private static func classChar(_ p: [Character], _ i: Int) -> (Character, Int)? {
        guard i < p.count else { return nil }
        if p[i] == "\\" { return i + 1 < p.count ? (p[i + 1], i + 2) : nil }
        return (p[i], i + 1)
    }

    private static func matchOne(_ token: Token, _ c: Character) -> Bool {
        switch token {
        case .literal(let l): return l == c
        case .any: return c != "/"
        case .star: return false
        case .set(let negated, let ranges):
            guard c != "/" else { return false }
            return ranges.contains { $0.contains(c) } != negated
        }
    }

    /// Greedy matching with single-star backtracking; `*` never crosses `/`.
    private static func match(_ tokens: [Token], _ s: [Character]) -> Bool {
        var ti = 0, si = 0
        var starT = -1, starS = 0
        while si < s.count {
            if ti < tokens.count {
                if case .star = tokens[ti] {
                    starT = ti; starS = si; ti += 1
                    continue
                }
                if matchOne(tokens[ti], s[si]) { ti += 1; si += 1; continue }
            }
            if starT >= 0, s[starS] != "/" {
                starS += 1; si = starS; ti = starT + 1
                continue
            }
            return false
        }
        while ti < tokens.count, case .star = tokens[ti] { ti += 1 }
        return ti == tokens.count
    }
}
