import FlotillaModel

/// `POST /v1/tokens`: make a token.
public struct TokenCreateRequest: Sendable, Codable {
    /// Name (token name grammar); nil: `<role>-<8 hex>`.
    public var name: String?
    public var role: Role
    /// Seconds until it expires; nil: never.
    public var ttl: Double?

    public init(name: String?, role: Role, ttl: Double?) { self.name = name; self.role = role; self.ttl = ttl }
}

/// A new token: the only time its secret is shown.
public struct TokenCreated: Sendable, Codable {
    public var name: String
    public var role: Role
    /// What a client sends (`NAME.SECRET`), or for a join token `flj1:<CA SHA-256>:NAME.SECRET`.
    public var token: String
    public var expires: Double?

    public init(name: String, role: Role, token: String, expires: Double?) {
        self.name = name; self.role = role; self.token = token; self.expires = expires
    }
}

/// A token as listed: everything but its secret (which the store does not know).
public struct TokenInfo: Sendable, Codable, Hashable {
    public var name: String
    public var role: Role
    public var created: Double
    public var expires: Double?
    public var createdBy: String
}

/// `GET /v1/tokens`.
public struct TokenList: Sendable, Codable {
    public var tokens: [TokenInfo]
}

/// `DELETE /v1/tokens/{name}`.
public struct TokenRevoked: Sendable, Codable {
    public var revoked: String
}

/// `POST /v1/join`: a machine asks for its certificates.
public struct JoinRequest: Sendable, Codable {
    public var machineID: String
    /// PEM certificate signing requests, each signed by its key and naming the machine ID.
    public var serverRequest: String
    public var clientRequest: String
    /// Host names and addresses its server certificate should name (besides localhost).
    public var hosts: [String]

    public init(machineID: String, serverRequest: String, clientRequest: String, hosts: [String]) {
        self.machineID = machineID; self.serverRequest = serverRequest; self.clientRequest = clientRequest; self.hosts = hosts
    }
}

/// What a joined machine gets: the CA, its two certificates (PEM) and where the store is.
public struct JoinAnswer: Sendable, Codable {
    public var ca: String
    public var serverCertificate: String
    public var clientCertificate: String
    public var store: [String]
}
