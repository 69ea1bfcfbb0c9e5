import Foundation
import GRPCNIOTransportHTTP2

/// TLS for the etcd v3 API, from PEM: the CA that signs the servers' (and, with client
/// certificate authentication, the clients') certificates, and this side's certificate and
/// key. TLS 1.2 or newer (gRPC's transport enforces it).
public struct EtcdTLS: Sendable, Hashable {
    /// The trusted CA certificate(s), PEM.
    public var caPEM: String
    /// This side's certificate (chain) and key, PEM; a client without them presents none.
    public var certificatePEM: String?
    public var keyPEM: String?

    public init(caPEM: String, certificatePEM: String? = nil, keyPEM: String? = nil) {
        self.caPEM = caPEM; self.certificatePEM = certificatePEM; self.keyPEM = keyPEM
    }

    /// Reads the files etcd's own flags name (`--cacert`, `--cert`, `--key`; `flotilla agent
    /// --store-cacert/--store-cert/--store-key`); a file that cannot be read is named.
    public static func files(ca: String, certificate: String?, key: String?) throws -> EtcdTLS {
        func read(_ path: String, _ what: String) throws -> String {
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw StoreTLSError("cannot read the store \(what) \(path): \(error.localizedDescription)")
            }
        }
        guard (certificate == nil) == (key == nil) else {
            throw StoreTLSError("a store client certificate needs its key and the other way round: give --store-cert and --store-key together")
        }
        return EtcdTLS(caPEM: try read(ca, "CA certificate"), certificatePEM: try certificate.map { try read($0, "client certificate") },
                       keyPEM: try key.map { try read($0, "client key") })
    }

    /// A client: checks the server's certificate (names and addresses) against the CA only;
    /// presents its certificate when it has one.
    public var clientSecurity: HTTP2ClientTransport.Posix.TransportSecurity {
        let roots: TLSConfig.TrustRootsSource = .certificates([.bytes(Array(caPEM.utf8), format: .pem)])
        guard let certificatePEM, let keyPEM else {
            return .tls { $0.trustRoots = roots; $0.serverCertificateVerification = .fullVerification }
        }
        return .mTLS(certificateChain: [.bytes(Array(certificatePEM.utf8), format: .pem)],
                     privateKey: .bytes(Array(keyPEM.utf8), format: .pem)) { config in
            config.trustRoots = roots
            config.serverCertificateVerification = .fullVerification
        }
    }

    /// A server that requires every client to present a certificate signed by the CA (etcd's
    /// `--client-cert-auth` with `--trusted-ca-file`).
    public var serverSecurity: HTTP2ServerTransport.Posix.TransportSecurity {
        .mTLS(certificateChain: [.bytes(Array((certificatePEM ?? "").utf8), format: .pem)],
              privateKey: .bytes(Array((keyPEM ?? "").utf8), format: .pem)) { config in
            config.trustRoots = .certificates([.bytes(Array(caPEM.utf8), format: .pem)])
            config.clientCertificateVerification = .noHostnameVerification
        }
    }
}

/// Store TLS settings that cannot be used, with the sentence that says which.
public struct StoreTLSError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
