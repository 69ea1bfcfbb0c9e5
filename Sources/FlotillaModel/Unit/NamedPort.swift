/// A port a unit of an overlay instance (`network: overlay`) listens on, by name: published in
/// the instance's endpoint, answered as an SRV record (`_<name>._<protocol>.<stack>.flotilla.`),
/// and, with a host port, forwarded from the machine to the instance.
public struct NamedPort: Sendable, Hashable, Codable {
    /// The service name: 1–15 lowercase letters, digits and `-`, starting with a letter.
    public var name: String
    /// The port inside the instance's namespace.
    public var port: Int
    /// `tcp` (the default) or `udp`.
    public var transport: Transport
    /// The machine's port forwarded to ``port``; nil: not reachable from outside the overlay.
    public var host: Int?

    /// The transport protocol (the SRV record's `_tcp`/`_udp` label).
    public enum Transport: String, Sendable, Hashable, Codable, CaseIterable {
        case tcp
        case udp
    }

    public init(name: String, port: Int, transport: Transport = .tcp, host: Int? = nil) {
        self.name = name; self.port = port; self.transport = transport; self.host = host
    }

    /// Why `name` cannot name a port, or nil (IANA's service name rules: RFC 6335 §5.1).
    public static func nameProblem(_ name: String) -> String? {
        let characters = Array(name)
        let fits = (1...15).contains(characters.count) && characters[0].isASCII && characters[0].isLowercase
            && characters.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
            && characters.last != "-" && !name.contains("--")
        return fits ? nil : "port name '\(name)' must be 1 to 15 lowercase letters, digits and '-', starting with a letter (it becomes the SRV label _\(name))"
    }
}
