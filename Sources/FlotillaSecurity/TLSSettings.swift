import Crypto
import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// The swift-nio-ssl configurations the cluster's doors use, all TLS 1.2 or newer and all
/// trusting only the cluster CA (never the system's roots).
public enum TLSSettings {
    /// What the API serves: the machine's server certificate with the CA behind it (a joining
    /// agent checks the CA against its token's fingerprint), client certificates optional but
    /// verified against the cluster CA when sent (agents present theirs; people use tokens).
    public static func server(_ certificates: MachineCertificates) throws -> TLSConfiguration {
        let chain = try [certificates.server, certificates.ca.certificate].map { try niossl($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificates.serverKey.pemRepresentation.utf8), format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        configuration.trustRoots = .certificates([try niossl(certificates.ca.certificate)])
        configuration.certificateVerification = .optionalVerification
        return configuration
    }

    /// What a client of the API uses: trusts the CA in `caPEM` only and checks the server's
    /// name or address unless `checksName` is false; presents `identity` (certificate and key
    /// PEM) when given.
    public static func client(caPEM: String, identity: (certificate: String, key: String)? = nil,
                              checksName: Bool = true) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        let roots = try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8))
        guard !roots.isEmpty else { throw SecurityError("the CA file holds no PEM certificate") }
        configuration.trustRoots = .certificates(roots)
        configuration.certificateVerification = checksName ? .fullVerification : .noHostnameVerification
        if let identity {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(identity.certificate.utf8)).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.key.utf8), format: .pem))
        }
        return configuration
    }

    /// A client configuration for the first contact of a joining agent: it trusts no roots
    /// (the server's chain is checked by ``pinnedVerification(fingerprint:)`` instead).
    public static func pinnedClient() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.trustRoots = .certificates([])
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    /// Accepts a server whose presented chain holds a CA certificate with SHA-256
    /// `fingerprint` that signed the server's certificate, valid now; refuses anything else.
    /// The CA found is reported to `found`.
    public static func pinnedVerification(fingerprint: String, found: @escaping @Sendable (Certificate) -> Void)
        -> @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>) -> Void {
        { presented, promise in
            do {
                let certificates = try presented.map { try Certificate(derEncoded: $0.toDERBytes()) }
                guard let leaf = certificates.first,
                      let ca = certificates.dropFirst().first(where: { ClusterCA.fingerprint(of: $0) == fingerprint }),
                      ClusterCA(certificate: ca, key: nil).signed(leaf) else {
                    promise.succeed(.failed)
                    return
                }
                found(ca)
                promise.succeed(.certificateVerified)
            } catch {
                promise.succeed(.failed)
            }
        }
    }

    /// `certificate` as swift-nio-ssl's type.
    static func niossl(_ certificate: Certificate) throws -> NIOSSLCertificate {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
    }
}
