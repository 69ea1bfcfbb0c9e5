/// What a credential may do on the API.
///
/// | role | may |
/// |---|---|
/// | `admin` | everything |
/// | `viewer` | read: status, machines, events, history, units, plan dry-runs, metrics; not logs (they may hold secrets) |
/// | `join` | `POST /v1/join` only: a new machine asks for its certificates |
/// | `agent` | what `viewer` may, and logs: another agent forwarding a request (its client certificate) |
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    case admin, viewer, join, agent

    /// The roles a token can carry (`agent` is a client certificate's, never a token's).
    public static let tokenRoles: [Role] = [.admin, .viewer, .join]
}

/// An API token at `tokens/<name>`: only the SHA-256 of its secret is stored.
public struct TokenRecord: Sendable, Hashable, Codable {
    public var schema: Int = 1
    /// The token's name (the part before the `.` of `<name>.<secret>`).
    public var name: String
    public var role: Role
    /// SHA-256 of the secret, lowercase hex.
    public var hash: String
    /// When it was made (seconds since 1970).
    public var created: Double
    /// When it stops working (seconds since 1970); nil: never.
    public var expires: Double?
    /// Who made it: a token name, `machine <id>`, or `bootstrap`.
    public var createdBy: String

    public init(name: String, role: Role, hash: String, created: Double, expires: Double?, createdBy: String) {
        self.name = name; self.role = role; self.hash = hash; self.created = created; self.expires = expires
        self.createdBy = createdBy
    }

    /// Whether it has expired at `now`.
    public func expired(at now: Double) -> Bool { expires.map { $0 <= now } ?? false }
}
