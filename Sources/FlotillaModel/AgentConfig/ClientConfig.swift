import Foundation

/// Where the CLI finds the cluster: `~/.config/flotilla/config.yaml` (or `$FLOTILLA_CONFIG`)
/// with `endpoint` (the API URL), `ca` (the cluster CA's certificate file) and `token` (a
/// bearer token). The bootstrapping agent writes it for its user; `FLOTILLA_ENDPOINT`,
/// `FLOTILLA_CACERT` and `FLOTILLA_TOKEN` override its keys.
public struct ClientConfig: Sendable, Hashable {
    public var endpoint: String?
    public var ca: String?
    public var token: String?

    public init(endpoint: String? = nil, ca: String? = nil, token: String? = nil) {
        self.endpoint = endpoint; self.ca = ca; self.token = token
    }

    /// The variable that names another config file.
    public static let pathVariable = "FLOTILLA_CONFIG"
    /// The keys a client config holds.
    public static let keys = ["endpoint", "ca", "token"]

    /// `$FLOTILLA_CONFIG`, else `$HOME/.config/flotilla/config.yaml`.
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment[pathVariable], !path.isEmpty { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.config/flotilla/config.yaml"
    }

    /// Parses a client config; `file` names it in diagnostics. With any error, the config is nil.
    public static func parse(text: String, file: String) -> (config: ClientConfig?, diagnostics: [Diagnostic]) {
        let reader = YAMLReader(file: file)
        var config = ClientConfig()
        if let root = YAMLDocument.compose(text, reader: reader), !root.isNull,
           let entries = reader.entries(root, of: "the file", context: "in the client config", known: keys) {
            for entry in entries {
                let text = reader.string(entry.value, entry.key)
                switch entry.key {
                case "endpoint": config.endpoint = text
                case "ca": config.ca = text
                case "token": config.token = text
                default: break
                }
            }
        }
        return (reader.diagnostics.hasErrors ? nil : config, reader.diagnostics)
    }

    /// The file's text: each key as a double-quoted YAML string.
    public func render() -> String {
        var lines = ["# Written by the Flotilla agent that bootstrapped the cluster; see docs/security.md."]
        for (key, value) in [("endpoint", endpoint), ("ca", ca), ("token", token)] {
            guard let value else { continue }
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            lines.append("\(key): \"\(escaped)\"")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
