import FlotillaModel
import Foundation

/// The token, join and renewal routes.
extension APIClient {
    /// `POST /v1/tokens`.
    public func createToken(_ request: TokenCreateRequest) async throws -> TokenCreated {
        try await send("POST", "/v1/tokens", body: request, as: TokenCreated.self)
    }

    /// `GET /v1/tokens`.
    public func tokens() async throws -> TokenList {
        try await send("GET", "/v1/tokens", as: TokenList.self)
    }

    /// `DELETE /v1/tokens/{name}`.
    public func revokeToken(_ name: String) async throws -> TokenRevoked {
        try await send("DELETE", "/v1/tokens/" + Self.segment(name), as: TokenRevoked.self)
    }

    /// `POST /v1/join`.
    public func join(_ request: JoinRequest) async throws -> JoinAnswer {
        try await send("POST", "/v1/join", body: request, as: JoinAnswer.self)
    }

    /// `POST /v1/renew`: new certificates for the machine whose client certificate calls.
    public func renew(_ request: JoinRequest) async throws -> JoinAnswer {
        try await send("POST", "/v1/renew", body: request, as: JoinAnswer.self)
    }
}
