import FlotillaAgent
import FlotillaModel
import FlotillaSecurity
import FlotillaStore
import Foundation

/// Token management and joining, over the store and this machine's certificates.
struct AccessRoutes: Sendable {
    let store: any KeyValueStore
    let layout: StoreLayout
    let security: APISecurity

    /// Longest token lifetime accepted (10 years).
    static let maxTTL: Double = 10 * 365 * 86_400

    /// Makes a token; its secret is in the answer and nowhere else.
    func create(_ request: TokenCreateRequest, caller: Caller?) async throws -> TokenCreated {
        guard Role.tokenRoles.contains(request.role) else {
            throw APIError.badRequest("a token's role is admin, viewer or join; '\(request.role.rawValue)' belongs to machines' certificates")
        }
        let name = request.name ?? AccessToken.generatedName(role: request.role.rawValue)
        guard AccessToken.isValidName(name) else {
            throw APIError.badRequest("token name '\(name.prefix(80))' is not valid: use 1 to 63 lowercase letters, digits and '-', starting with a letter or digit")
        }
        if let ttl = request.ttl, !(ttl > 0 && ttl <= Self.maxTTL) {
            throw APIError.badRequest("a token's ttl must be above 0 and at most 10 years, got \(ttl) s")
        }
        let token = AccessToken.generate(name: name)
        let now = Date().timeIntervalSince1970
        let record = TokenRecord(name: name, role: request.role, hash: token.hash, created: now,
                                 expires: request.ttl.map { now + $0 }, createdBy: caller?.name ?? "unknown")
        guard try await TokenStore(store: store, layout: layout).create(record) else {
            throw APIError(.conflict, "a token named \(name) exists; pick another name or revoke it first (flotilla token revoke \(name))")
        }
        let text = request.role == .join
            ? JoinToken(caFingerprint: security.certificates.ca.fingerprint, token: token).text : token.text
        return TokenCreated(name: name, role: request.role, token: text, expires: record.expires)
    }

    /// Every token, by name.
    func list() async throws -> TokenList {
        let response = try await store.range(.prefix(Bytes(utf8: layout.tokens)))
        let records = try response.kvs.map { try RecordCodec.decode(TokenRecord.self, from: $0.value, key: $0.key.utf8String) }
        return TokenList(tokens: records.map {
            TokenInfo(name: $0.name, role: $0.role, created: $0.created, expires: $0.expires, createdBy: $0.createdBy)
        })
    }

    /// Revokes (deletes) a token: the next request with it gets 401.
    func revoke(_ name: String) async throws -> TokenRevoked {
        guard AccessToken.isValidName(name) else { throw APIError.badRequest("'\(name.prefix(80))' is not a token name") }
        let deleted = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.token(name)))).deleted
        guard deleted > 0 else { throw APIError.notFound("no token is named \(name); flotilla token list shows them") }
        return TokenRevoked(revoked: name)
    }

    /// Signs a joining machine's certificates, when this machine holds the CA key.
    func join(_ request: JoinRequest) async throws -> JoinAnswer {
        guard security.certificates.ca.canSign else {
            throw APIError(.serviceUnavailable, "this agent holds no CA key and cannot sign; join through the agent that bootstrapped the cluster")
        }
        guard MachineIdentity.isValid(request.machineID) else {
            throw APIError.badRequest("machine ID '\(request.machineID.prefix(80))' is not valid: 1 to 64 lowercase letters, digits, '-' and '_'")
        }
        if try await store.range(RangeRequest(key: Bytes(utf8: layout.machine(request.machineID)))).kvs.first != nil {
            throw APIError(.conflict, "machine \(request.machineID) is a member and alive; a joining machine needs an ID of its own")
        }
        return try sign(request)
    }

    /// Signs new certificates for the calling machine (known by its current client
    /// certificate), for agents whose certificates are due for renewal and cannot sign.
    func renew(_ request: JoinRequest, caller: Caller?) async throws -> JoinAnswer {
        guard let machine = caller?.machine else {
            throw APIError.badRequest("renewal is for a machine's own certificates: the agent calls it with its client certificate when they are due (a token cannot)")
        }
        guard request.machineID == machine else {
            throw APIError(.forbidden, "machine \(machine) may renew only its own certificates, not those of \(request.machineID.prefix(80))")
        }
        guard security.certificates.ca.canSign else {
            throw APIError(.serviceUnavailable, "this agent holds no CA key and cannot sign; renew through the agent that bootstrapped the cluster")
        }
        return try sign(request)
    }

    /// The signed certificates for `request`, with the CA and the store endpoints.
    private func sign(_ request: JoinRequest) throws -> JoinAnswer {
        guard request.hosts.count <= 32, request.hosts.allSatisfy({ $0.count <= 253 }) else {
            throw APIError.badRequest("at most 32 host names of at most 253 characters each")
        }
        do {
            let signed = try Enrollment.sign(.init(machineID: request.machineID, serverRequest: request.serverRequest,
                                                   clientRequest: request.clientRequest, hosts: request.hosts),
                                             by: security.certificates.ca)
            return JoinAnswer(ca: security.certificates.ca.certificatePEM, serverCertificate: signed.server,
                              clientCertificate: signed.client, store: security.storeEndpoints)
        } catch let error as SecurityError {
            throw APIError.badRequest(error.description)
        }
    }
}

/// Token records in the store.
public struct TokenStore: Sendable {
    let store: any KeyValueStore
    let layout: StoreLayout

    public init(store: any KeyValueStore, layout: StoreLayout) { self.store = store; self.layout = layout }

    /// Writes `record` unless a token of that name exists; false when one does.
    public func create(_ record: TokenRecord) async throws -> Bool {
        let key = Bytes(utf8: layout.token(record.name))
        return try await store.txn(TxnRequest(
            compare: [Compare(key: key, .createRevision(0), .equal)],
            success: [.put(PutRequest(key: key, value: RecordCodec.encode(record)))])).succeeded
    }
}
