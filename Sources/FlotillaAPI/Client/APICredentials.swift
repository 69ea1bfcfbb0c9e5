import FlotillaSecurity
import Foundation
import NIOSSL

/// What a client proves and trusts when it calls an agent: the cluster CA it checks the
/// agent's certificate against, and a bearer token or a machine's client certificate.
public struct APICredentials: Sendable {
    /// The CA's certificate(s), PEM.
    public var caPEM: String
    /// `NAME.SECRET` sent as `Authorization: Bearer …`.
    public var token: String?
    /// A client certificate and key (PEM): a machine's identity toward other agents.
    public var identity: Identity?
    /// Whether the agent's certificate must name the host called. Agents calling agents skip
    /// it: the cluster CA signs only cluster machines, and an agent is often reached by an
    /// address its certificate does not list (one listening on 0.0.0.0, or joined through a
    /// DNS alias).
    public var checksServerName = true

    /// A client certificate and its key, PEM.
    public struct Identity: Sendable {
        public var certificate: String
        public var key: String
        public init(certificate: String, key: String) { self.certificate = certificate; self.key = key }
    }

    public init(caPEM: String, token: String? = nil, identity: Identity? = nil) {
        self.caPEM = caPEM; self.token = token; self.identity = identity
    }

    /// A machine's credentials: its CA and its client certificate.
    public static func machine(_ certificates: MachineCertificates) throws -> APICredentials {
        var credentials = APICredentials(caPEM: certificates.ca.certificatePEM,
                                         identity: Identity(certificate: try certificates.client.serializeAsPEM().pemString,
                                                            key: certificates.clientKey.pemRepresentation))
        credentials.checksServerName = false
        return credentials
    }

    /// The CA in `caFile` and the token in `tokenFile` (an agent's `tls/ca.crt` and `admin.token`).
    public static func files(ca caFile: String, token tokenFile: String?) throws -> APICredentials {
        let ca: String
        do { ca = try String(contentsOfFile: caFile, encoding: .utf8) } catch {
            throw APIClientError.credentials("cannot read the CA certificate \(caFile): \(error.localizedDescription)")
        }
        var token: String?
        if let tokenFile {
            do { token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
                throw APIClientError.credentials("cannot read the token file \(tokenFile): \(error.localizedDescription)")
            }
        }
        return APICredentials(caPEM: ca, token: token)
    }

    /// The TLS configuration these credentials make.
    func tls() throws -> TLSConfiguration {
        do {
            return try TLSSettings.client(caPEM: caPEM, identity: identity.map { ($0.certificate, $0.key) }, checksName: checksServerName)
        } catch {
            throw APIClientError.credentials("the CA certificate or client identity is not usable PEM (\(error))")
        }
    }
}
