import FlotillaSecurity
import X509

/// Which `Host` headers the API answers: an IP address (v4, or v6 in brackets), or one of the
/// DNS names in the server certificate this agent serves. Anything else is a request meant
/// for another server, or a browser led here by DNS rebinding (a page's own name resolving to
/// this machine); it gets 421 before any credentials are looked at.
struct HostCheck: Sendable {
    /// The DNS names the server certificate carries, lowercased (always `localhost`).
    let names: Set<String>

    init(serverCertificate: Certificate) {
        var names: Set<String> = ["localhost"]
        if let alternatives = try? serverCertificate.extensions.subjectAlternativeNames {
            for case .dnsName(let name) in alternatives { names.insert(name.lowercased()) }
        }
        self.names = names
    }

    /// Why `host` (a `Host` header: a name or address, with or without a port) is not one of
    /// this server's, or nil when it is.
    func problem(_ host: String?) -> String? {
        guard let host, !host.isEmpty else { return "the request has no Host header" }
        let name = Self.hostPart(host).lowercased()
        if IPAddressBytes.parse(name) != nil || names.contains(name) { return nil }
        return "the Host header '\(host.prefix(100))' is not a name of this server (it answers to any IP address and to \(names.sorted().joined(separator: ", "))); use one of those, or add the name with --advertise"
    }

    /// `host` without its port (and without the brackets of an IPv6 address).
    static func hostPart(_ host: String) -> Substring {
        if host.hasPrefix("[") {
            guard let end = host.firstIndex(of: "]") else { return Substring(host) }
            return host[host.index(after: host.startIndex)..<end]
        }
        if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon { return host[..<colon] }
        return Substring(host)
    }
}
