import Crypto
import Foundation

/// A bearer token: `<name>.<secret>`. The store keeps only the name and the SHA-256 of the
/// secret (``hash``), so a token can be checked and revoked by name but not recovered from
/// the store.
public struct AccessToken: Sendable, Hashable {
    /// Names: lowercase letters, digits and `-`, starting with a letter or digit, at most 63.
    public var name: String
    /// 32 random bytes in lowercase hex.
    public var secret: String

    public init(name: String, secret: String) { self.name = name; self.secret = secret }

    /// A new token named `name` with a random secret.
    public static func generate(name: String) -> AccessToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return AccessToken(name: name, secret: bytes.map { String(format: "%02x", $0) }.joined())
    }

    /// A generated name: `<role>-<8 hex digits>`.
    public static func generatedName(role: String) -> String {
        "\(role)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// `<name>.<secret>`, what a client sends as `Authorization: Bearer …`.
    public var text: String { name + "." + secret }

    /// SHA-256 of the secret, in hex: what the store keeps.
    public var hash: String { Self.hash(secret) }

    /// SHA-256 of `secret` in lowercase hex.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Parses `<name>.<secret>`, or a join token's `flj1:<ca>:<name>.<secret>`; nil when it is neither.
    public init?(text: String) {
        var text = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if let join = JoinToken(text: String(text)) { text = Substring(join.token.text) }
        guard let dot = text.lastIndex(of: "."), Self.isValidName(String(text[..<dot])) else { return nil }
        let secret = text[text.index(after: dot)...]
        guard !secret.isEmpty, secret.count <= 128, secret.allSatisfy({ $0.isHexDigit }) else { return nil }
        name = String(text[..<dot])
        self.secret = String(secret)
    }

    /// Whether `name` fits the token name grammar.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...63).contains(name.count), let first = name.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    /// Whether `hash` is this token's hash, compared in constant time.
    public func matches(hash stored: String) -> Bool {
        let mine = Array(hash.utf8), theirs = Array(stored.utf8)
        guard mine.count == theirs.count else { return false }
        return zip(mine, theirs).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A join token: `flj1:<CA fingerprint>:<name>.<secret>`. The fingerprint (SHA-256 of the
/// cluster CA's certificate) lets a joining agent check the server it talks to before it
/// sends the secret, the way kubeadm's discovery hash does.
public struct JoinToken: Sendable, Hashable {
    /// The format's tag.
    public static let tag = "flj1"

    public var caFingerprint: String
    public var token: AccessToken

    public init(caFingerprint: String, token: AccessToken) { self.caFingerprint = caFingerprint; self.token = token }

    /// `flj1:<fingerprint>:<name>.<secret>`.
    public var text: String { "\(Self.tag):\(caFingerprint):\(token.text)" }

    /// Parses a join token; nil when `text` is not one.
    public init?(text: String) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == Self.tag, parts[1].count == 64, parts[1].allSatisfy({ $0.isHexDigit }),
              let token = AccessToken(text: parts[2]) else { return nil }
        caFingerprint = parts[1].lowercased()
        self.token = token
    }
}
