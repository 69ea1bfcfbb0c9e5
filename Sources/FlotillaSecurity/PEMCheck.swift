import X509

/// Checks of TLS material given as files (etcd-style flags), before a server starts on it.
public enum PEMCheck {
    /// Why `certificatePEM`, `keyPEM` and `caPEM` cannot serve TLS (unreadable PEM, or a key
    /// that is not the certificate's), naming the flags; nil when they can.
    public static func problem(certificatePEM: String, keyPEM: String, caPEM: String,
                               flags: (certificate: String, key: String, ca: String)) -> String? {
        guard let certificate = try? Certificate(pemEncoded: certificatePEM) else {
            return "\(flags.certificate) holds no PEM certificate"
        }
        guard let key = try? Certificate.PrivateKey(pemEncoded: keyPEM) else {
            return "\(flags.key) holds no PEM private key (EC, RSA or Ed25519)"
        }
        guard key.publicKey == certificate.publicKey else {
            return "\(flags.key) is not the key of the certificate in \(flags.certificate)"
        }
        guard (try? Certificate(pemEncoded: caPEM)) != nil else {
            return "\(flags.ca) holds no PEM CA certificate"
        }
        return nil
    }
}
