import FlotillaModel
import FlotillaSecurity
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// An async client of the agent API (`/v1/…`): one HTTPS/1.1 connection per request
/// (``HTTPExchange``), checking the agent's certificate against the cluster CA and sending
/// the credentials' token or client certificate.
public struct APIClient: Sendable {
    /// The agent API's default port.
    public static let defaultPort = 4880
    /// The endpoint used when none is given.
    public static let defaultEndpoint = "https://127.0.0.1:\(defaultPort)"
    /// The environment variable naming the endpoint.
    public static let endpointVariable = "FLOTILLA_ENDPOINT"

    /// Base URL of the agent (`https://host:port`).
    public let endpoint: URL
    /// Seconds before a request gives up.
    public let timeout: TimeInterval
    /// What the client trusts and proves.
    public let credentials: APICredentials
    private let tls: TLSConfiguration
    /// Replaces the CA check (a joining agent pins the CA by its fingerprint).
    var verification: (@Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>) -> Void)?

    /// A client of `endpoint` (`https://host:port`, or `host:port`; port 443 when none is
    /// given). `http://` is refused: the API serves HTTPS only.
    public init(endpoint text: String, credentials: APICredentials, timeout: TimeInterval = 30) throws {
        try self.init(endpoint: text, credentials: credentials, tls: try credentials.tls(), timeout: timeout)
    }

    /// A client for a joining agent's first contact: it trusts whatever server presents a CA
    /// with SHA-256 `fingerprint` that signed its certificate (reported to `found`), and
    /// sends `token`.
    public static func pinned(endpoint: String, fingerprint: String, token: String, timeout: TimeInterval = 30,
                              found: @escaping @Sendable (String) -> Void) throws -> APIClient {
        var client = try APIClient(endpoint: endpoint, credentials: APICredentials(caPEM: "", token: token), tls: TLSSettings.pinnedClient(),
                                   timeout: timeout)
        client.verification = TLSSettings.pinnedVerification(fingerprint: fingerprint) { ca in
            found((try? ca.serializeAsPEM().pemString) ?? "")
        }
        return client
    }

    private init(endpoint text: String, credentials: APICredentials, tls: TLSConfiguration, timeout: TimeInterval) throws {
        var text = text.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "https://" + text }
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), url.scheme == "https", url.host != nil else { throw APIClientError.badEndpoint(text) }
        self.endpoint = url
        self.timeout = timeout
        self.credentials = credentials
        self.tls = tls
    }

    /// Sends a request and decodes the answer; error answers become ``APIClientError/rejected``.
    func send<Answer: Decodable>(_ method: String, _ path: String, query: [URLQueryItem] = [], body: (some Encodable)? = nil as Int?,
                                 headers: [String: String] = [:], as type: Answer.Type, acceptingErrorBody: Bool = false) async throws -> Answer {
        var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)!
        components.percentEncodedPath = endpoint.path + path
        if !query.isEmpty { components.queryItems = query }
        guard let host = endpoint.host else { throw APIClientError.badEndpoint(endpoint.absoluteString + path) }
        let target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        var fields = headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let token = credentials.token { fields.append(("Authorization", "Bearer " + token)) }
        var bytes: [UInt8]?
        if let body {
            bytes = Array(try JSONEncoder().encode(body))
            fields.append(("Content-Type", "application/json"))
        }
        let http: HTTPExchange.Answer
        do {
            http = try await HTTPExchange(host: host, port: endpoint.port ?? 443, timeout: .seconds(timeout), tls: tls,
                                          verification: verification)
                .send(HTTPMethod(rawValue: method), target, headers: fields, body: bytes)
        } catch let failure as HTTPExchange.Failure where failure.notHTTP {
            throw APIClientError.badResponse(endpoint: endpoint.absoluteString, detail: failure.description)
        } catch {
            throw APIClientError.unreachable(endpoint: endpoint.absoluteString, detail: "\(error)")
        }
        let data = Data(http.body)
        let decoder = JSONDecoder()
        if (200..<300).contains(http.status) || acceptingErrorBody, let answer = try? decoder.decode(type, from: data) {
            return answer
        }
        if !(200..<300).contains(http.status) {
            if let body = try? decoder.decode(ErrorBody.self, from: data) {
                throw APIClientError.rejected(status: http.status, message: body.error, diagnostics: body.diagnostics ?? [],
                                              endpoint: endpoint.absoluteString)
            }
            let text = String(decoding: data.prefix(200), as: UTF8.self)
            throw APIClientError.badResponse(endpoint: endpoint.absoluteString,
                                             detail: "HTTP \(http.status) \(method) \(path)\(text.isEmpty ? "" : ": \(text)")")
        }
        throw APIClientError.badResponse(endpoint: endpoint.absoluteString, detail: "\(method) \(path) answered something that is not a \(type)")
    }

    /// A path segment, percent-encoded.
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/%?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
