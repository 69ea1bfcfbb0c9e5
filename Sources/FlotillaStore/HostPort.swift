/// The one `host:port` syntax every flag, config key and endpoint uses: `127.0.0.1:2379`,
/// `localhost:4880`, `[::1]:2379` (an IPv6 host in brackets, which are removed), optionally
/// after `http://` or `https://` and before a trailing `/`.
package enum HostPort {
    /// Splits `text`; the error names `setting` and shows a valid example.
    package static func parse(_ text: String, setting: String) throws(HostPortError) -> (host: String, port: Int) {
        var rest = Substring(text)
        for scheme in ["http://", "https://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw HostPortError(description: "\(setting) \"\(text)\" is not HOST:PORT with a port from 0 to 65535 (for example 127.0.0.1:2379 or [::1]:2379)")
        }
        var host = rest[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        else if host.contains(":") {
            throw HostPortError(description: "\(setting) \"\(text)\": an IPv6 host goes in brackets, for example [\(host)]:\(port)")
        }
        guard !host.isEmpty else {
            throw HostPortError(description: "\(setting) \"\(text)\" has no host (for example 127.0.0.1:\(port))")
        }
        return (String(host), port)
    }

    /// `host:port`, with an IPv6 host in brackets.
    package static func format(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// A `host:port` that does not parse, with a sentence saying what is wrong.
package struct HostPortError: Error, Sendable, CustomStringConvertible {
    package var description: String
}
