import FlotillaModel
import Hummingbird
import NIOCore

/// The request context of every API route: Hummingbird's core storage, the connection (for
/// the TLS peer certificate and the remote address) and, once ``Gatekeeper`` has passed the
/// request, who is calling.
public struct APIRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP connection the request came on (its pipeline holds the TLS handler).
    let channel: any Channel
    /// Who sent the request; set by ``Gatekeeper`` before any route runs.
    var caller: Caller?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        caller = nil
    }

    public var remoteAddress: SocketAddress? { channel.remoteAddress }
}

/// Who sent a request: a token's name and role, or a machine by its client certificate.
struct Caller: Sendable, Hashable, CustomStringConvertible {
    /// `token <name>` or `machine <id>`: what the audit trail records.
    var name: String
    var role: Role
    /// The machine ID of a caller known by its client certificate (nil for tokens).
    var machine: String? = nil

    var description: String { "\(name) (\(role.rawValue))" }
}
