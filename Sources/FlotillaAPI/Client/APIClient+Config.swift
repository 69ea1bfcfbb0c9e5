import FlotillaModel
import Foundation

extension APIClient {
    /// The variable naming the CA certificate file.
    public static let caVariable = "FLOTILLA_CACERT"
    /// The variable holding the bearer token.
    public static let tokenVariable = "FLOTILLA_TOKEN"

    /// The client the CLI uses: the endpoint from `explicit` (`--endpoint`), else
    /// `FLOTILLA_ENDPOINT`, else the client config's `endpoint`, else the local agent; the CA
    /// from `FLOTILLA_CACERT`, else the config's `ca`; the token from `FLOTILLA_TOKEN`, else
    /// the config's `token`. The config is ``ClientConfig/path(environment:)``.
    public static func configured(endpoint explicit: String?, timeout: TimeInterval = 30,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> APIClient {
        let path = ClientConfig.path(environment: environment)
        var config = ClientConfig()
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let (parsed, diagnostics) = ClientConfig.parse(text: text, file: path)
            guard let parsed else {
                throw APIClientError.credentials(diagnostics.map(\.description).joined(separator: "\n"))
            }
            config = parsed
        }
        func value(_ variable: String) -> String? { environment[variable].flatMap { $0.isEmpty ? nil : $0 } }
        let endpoint = explicit.flatMap { $0.isEmpty ? nil : $0 } ?? value(endpointVariable) ?? config.endpoint ?? defaultEndpoint
        guard let caFile = value(caVariable) ?? config.ca else {
            throw APIClientError.credentials("no CA certificate to check the agent with: set \(caVariable)=FILE or 'ca:' in \(path); the agent that bootstrapped the cluster keeps it as <state-dir>/tls/ca.crt and wrote that config for its user (docs/security.md)")
        }
        let ca: String
        do { ca = try String(contentsOfFile: caFile, encoding: .utf8) } catch {
            throw APIClientError.credentials("cannot read the CA certificate \(caFile): \(error.localizedDescription)")
        }
        return try APIClient(endpoint: endpoint, credentials: APICredentials(caPEM: ca, token: value(tokenVariable) ?? config.token),
                             timeout: timeout)
    }
}
