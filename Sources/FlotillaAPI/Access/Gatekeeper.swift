import FlotillaModel
import FlotillaSecurity
import FlotillaStore
import Foundation
import Hummingbird
import NIOSSL

/// The API's door, in front of every route: who is calling (a bearer token, or a machine's
/// client certificate verified by the TLS handshake), whether that caller may do this
/// (``Permission``), and, for changes, a record in the audit trail.
///
/// No credentials, bad ones, an unknown, revoked or expired token: 401. A known caller whose
/// role may not: 403. More than ``FailedLogins/limit`` failed authentications from one
/// address within a minute: 429 until the oldest failure is a minute old. Requests a web page
/// sent (they carry `Origin`) are refused with 403: a page the user visits cannot drive the
/// API with the user's credentials. A `Host` that is not this server's (``HostCheck``): 421.
struct Gatekeeper: RouterMiddleware {
    typealias Context = APIRequestContext
    let store: any KeyValueStore
    let layout: StoreLayout
    let failures: FailedLogins
    let audit: AuditTrail
    let hosts: HostCheck

    func handle(_ request: Request, context: APIRequestContext,
                next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        let now = Date().timeIntervalSince1970
        if let wait = failures.blocked(address, now: now) {
            var response = try APIError(.tooManyRequests, "too many failed authentications from \(address); wait \(Int(wait.rounded(.up))) s and check the token")
                .response(from: request, context: context)
            response.headers[.retryAfter] = String(Int(wait.rounded(.up)))
            return response
        }
        let permission = Permission.of(method: request.method, path: request.uri.path)
        // Joining and renewal are machines' calls, by any name that reaches the agent (the
        // joining one pins the CA); a browser has neither a join token nor a machine's key.
        if permission != .join && permission != .renew, let problem = hosts.problem(request.head.authority) {
            throw APIError(.misdirectedRequest, problem)
        }
        if request.headers[.origin] != nil {
            throw APIError(.forbidden, "requests from web pages (with an Origin header) are not accepted; use the flotilla CLI or an HTTP client without Origin")
        }
        let caller: Caller
        do {
            caller = try await authenticate(request, context: context, now: now)
        } catch {
            failures.record(address, now: now)
            throw error
        }
        guard permission.allowed(for: caller.role) else {
            let needs = switch permission {
            case .read: "a viewer or admin token"
            case .join: "a join or admin token"
            case .renew: "the machine's own client certificate"
            case .logs, .admin: "an admin token"
            }
            throw APIError(.forbidden, "\(caller) may not \(request.method) \(request.uri.path); it needs \(needs)")
        }
        var context = context
        context.caller = caller
        guard Permission.audited(method: request.method, permission: permission) else { return try await next(request, context) }
        do {
            let response = try await next(request, context)
            await audit.record(caller: caller, method: request.method.rawValue, path: request.uri.path, status: response.status.code)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            await audit.record(caller: caller, method: request.method.rawValue, path: request.uri.path, status: status)
            throw error
        }
    }

    /// The caller: by bearer token when one is sent, else by a verified client certificate.
    private func authenticate(_ request: Request, context: APIRequestContext, now: Double) async throws -> Caller {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError(.unauthorized, "the Authorization header must be 'Bearer TOKEN'")
            }
            guard let token = AccessToken(text: String(parts[1])) else {
                throw APIError(.unauthorized, "the bearer token is malformed (expected NAME.SECRET, as flotilla token create prints it)")
            }
            let key = layout.token(token.name)
            guard let kv = try await store.range(RangeRequest(key: Bytes(utf8: key))).kvs.first,
                  let record = try? RecordCodec.decode(TokenRecord.self, from: kv.value, key: key),
                  token.matches(hash: record.hash) else {
                throw APIError(.unauthorized, "the token is unknown or was revoked; ask an admin for one (flotilla token create)")
            }
            guard !record.expired(at: now) else {
                throw APIError(.unauthorized, "token \(record.name) expired at \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: record.expires ?? 0))); ask an admin for a new one (flotilla token create)")
            }
            return Caller(name: "token \(record.name)", role: record.role)
        }
        if let certificate = try? await context.channel.nioSSL_peerCertificate().get(),
           let machine = PeerIdentity.commonName(of: certificate) {
            return Caller(name: "machine \(machine)", role: .agent, machine: machine)
        }
        throw APIError(.unauthorized, "no credentials: send 'Authorization: Bearer TOKEN' (the CLI reads it from ~/.config/flotilla/config.yaml, $FLOTILLA_TOKEN, or an agent's <state-dir>/admin.token)")
    }
}
