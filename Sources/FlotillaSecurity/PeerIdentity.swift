import NIOSSL
import X509

/// Who is on the other end of a TLS connection, from the certificate it presented (already
/// verified against the cluster CA by the handshake).
public enum PeerIdentity {
    /// The common name of `certificate` (a machine ID for agents' client certificates).
    public static func commonName(of certificate: NIOSSLCertificate) -> String? {
        guard let bytes = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: bytes) else { return nil }
        return parsed.commonName
    }
}
