import FlotillaModel
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An async client of the agent API (`/v1/…`) over URLSession.
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

    /// A client of `endpoint` (`http://host:port`, or `host:port`).
    public init(endpoint text: String, timeout: TimeInterval = 30) throws {
        var text = text.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "http://" + text }
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
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
        guard let url = components.url else { throw APIClientError.badEndpoint(endpoint.absoluteString + path) }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = try JSONEncoder().encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch let error as URLError {
            throw APIClientError.unreachable(endpoint: endpoint.absoluteString, detail: Self.words(error))
        } catch {
            throw APIClientError.unreachable(endpoint: endpoint.absoluteString, detail: "\(error)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw APIClientError.badResponse(endpoint: endpoint.absoluteString, detail: "not an HTTP answer")
        }
        let decoder = JSONDecoder()
        if (200..<300).contains(http.statusCode) || acceptingErrorBody, let answer = try? decoder.decode(type, from: data) {
            return answer
        }
        if !(200..<300).contains(http.statusCode) {
            if let body = try? decoder.decode(ErrorBody.self, from: data) {
                throw APIClientError.rejected(status: http.statusCode, message: body.error, diagnostics: body.diagnostics ?? [],
                                              endpoint: endpoint.absoluteString)
            }
            let text = String(decoding: data.prefix(200), as: UTF8.self)
            throw APIClientError.badResponse(endpoint: endpoint.absoluteString,
                                             detail: "HTTP \(http.statusCode) \(method) \(path)\(text.isEmpty ? "" : ": \(text)")")
        }
        throw APIClientError.badResponse(endpoint: endpoint.absoluteString, detail: "\(method) \(path) answered something that is not a \(type)")
    }

    /// A URL error in a few words.
    static func words(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: "connection refused"
        case .cannotFindHost, .dnsLookupFailed: "unknown host"
        case .timedOut: "no answer in time"
        case .networkConnectionLost: "connection lost"
        case .notConnectedToInternet: "no network"
        default: error.localizedDescription
        }
    }

    /// A path segment, percent-encoded.
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/%?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
