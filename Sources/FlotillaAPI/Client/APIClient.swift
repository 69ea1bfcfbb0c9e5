import FlotillaModel
import Foundation
import NIOHTTP1

/// An async client of the agent API (`/v1/…`): one HTTP/1.1 connection per request
/// (``HTTPExchange``).
public struct APIClient: Sendable {
    /// The agent API's default port.
    public static let defaultPort = 4880
    /// The endpoint used when none is given.
    public static let defaultEndpoint = "http://127.0.0.1:\(defaultPort)"
    /// The environment variable naming the endpoint.
    public static let endpointVariable = "FLOTILLA_ENDPOINT"

    /// Base URL of the agent (`http://host:port`).
    public let endpoint: URL
    /// Seconds before a request gives up.
    public let timeout: TimeInterval

    /// A client of `endpoint` (`http://host:port`, or `host:port`; port 80 when none is given).
    public init(endpoint text: String, timeout: TimeInterval = 30) throws {
        var text = text.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "http://" + text }
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), url.scheme == "http", url.host != nil else {
            throw APIClientError.badEndpoint(text)
        }
        self.endpoint = url
        self.timeout = timeout
    }

    /// The endpoint from an explicit value, else `FLOTILLA_ENDPOINT`, else the default.
    public static func endpoint(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment[endpointVariable], !fromEnvironment.isEmpty { return fromEnvironment }
        return defaultEndpoint
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
        var bytes: [UInt8]?
        if let body {
            bytes = Array(try JSONEncoder().encode(body))
            fields.append(("Content-Type", "application/json"))
        }
        let http: HTTPExchange.Answer
        do {
            http = try await HTTPExchange(host: host, port: endpoint.port ?? 80, timeout: .seconds(timeout))
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
