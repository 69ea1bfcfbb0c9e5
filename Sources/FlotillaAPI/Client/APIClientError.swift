import FlotillaModel

/// Why an API call failed, in words that say what to do next.
public enum APIClientError: Error, Sendable, CustomStringConvertible {
    /// The endpoint is not a usable URL.
    case badEndpoint(String)
    /// Nothing answered at the endpoint (refused, unknown host, timed out).
    case unreachable(endpoint: String, detail: String)
    /// The API answered with an error status and sentence (and, for rejected spec files,
    /// every diagnostic).
    case rejected(status: Int, message: String, diagnostics: [Diagnostic], endpoint: String)
    /// The answer was not what the API sends.
    case badResponse(endpoint: String, detail: String)
    /// The client's own credentials (CA file, token, config) are missing or unusable.
    case credentials(String)

    /// Where to point the CLI instead.
    static let pointing = "start an agent (flotilla agent, or flotilla dev on one machine) or point at a running one with --endpoint URL or \(APIClient.endpointVariable)=URL"

    /// The sentence for people.
    public var description: String {
        switch self {
        case .badEndpoint(let text):
            "'\(text)' is not an API endpoint; give one like https://127.0.0.1:\(APIClient.defaultPort) with --endpoint or \(APIClient.endpointVariable) (the API serves HTTPS only)"
        case .unreachable(let endpoint, let detail):
            "cannot reach the Flotilla API at \(endpoint) (\(detail)); \(Self.pointing)"
        case .rejected(let status, let message, _, let endpoint):
            "\(message) (HTTP \(status) from \(endpoint))"
        case .credentials(let text):
            text
        case .badResponse(let endpoint, let detail):
            "the answer from \(endpoint) is not the Flotilla API's (\(detail)); check that --endpoint points at a Flotilla agent"
        }
    }

    /// The short reason, without the advice.
    public var detail: String {
        switch self {
        case .badEndpoint(let text): "bad endpoint '\(text)'"
        case .unreachable(_, let detail), .badResponse(_, let detail): detail
        case .rejected(_, let message, _, _): message
        case .credentials(let text): text
        }
    }

    /// The HTTP status of a rejection.
    public var status: Int? {
        if case .rejected(let status, _, _, _) = self { status } else { nil }
    }
}
