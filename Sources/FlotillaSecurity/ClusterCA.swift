import Crypto
import Foundation
import SwiftASN1
import X509

/// The cluster's certificate authority: an ECDSA P-256 key and its self-signed certificate,
/// made once by the bootstrapping agent. Every machine trusts ``certificate``; only a machine
/// that holds ``key`` (the bootstrapping one) signs machine certificates (``issue(_:)``).
///
/// Its identity for people and join tokens is ``fingerprint``: the SHA-256 of the
/// certificate's DER bytes (kubeadm's discovery hash).
public struct ClusterCA: Sendable {
    /// The CA's certificate (self-signed).
    public let certificate: Certificate
    /// The signing key; nil on machines that only trust the CA.
    public let key: P256.Signing.PrivateKey?

    /// How long a new CA is valid.
    public static let lifetime: TimeInterval = 10 * 365 * 86_400

    /// A CA over `certificate`, signing with `key` when given.
    public init(certificate: Certificate, key: P256.Signing.PrivateKey?) {
        self.certificate = certificate
        self.key = key
    }

    /// Makes a new CA named `Flotilla cluster CA <id>`, valid from `now` (less 5 minutes for
    /// clock skew between machines) for ``lifetime``.
    public static func create(now: Date = Date()) throws -> ClusterCA {
        let raw = P256.Signing.PrivateKey()
        let key = Certificate.PrivateKey(raw)
        let suffix = String(UUID().uuidString.prefix(8)).lowercased()
        let name = try DistinguishedName {
            OrganizationName("Flotilla")
            CommonName("Flotilla cluster CA \(suffix)")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: key.publicKey)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(lifetime),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: key)
        return ClusterCA(certificate: certificate, key: raw)
    }

    /// The certificate in PEM.
    public var certificatePEM: String { (try? certificate.serializeAsPEM().pemString) ?? "" }

    /// SHA-256 of the certificate's DER bytes, in lowercase hex: what a join token pins.
    public var fingerprint: String { Self.fingerprint(of: certificate) }

    /// SHA-256 of a certificate's DER bytes, in lowercase hex.
    public static func fingerprint(of certificate: Certificate) -> String {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return "" }
        return SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether this CA can sign (holds its key).
    public var canSign: Bool { key != nil }

    /// Signs a certificate for `request`'s public key, valid from `now` for `lifetime`.
    /// - Throws: ``SecurityError`` when this CA holds no key or `request` is malformed.
    public func issue(_ request: CertificateOrder, now: Date = Date(), lifetime: TimeInterval = MachineCertificates.lifetime) throws -> Certificate {
        guard let key else { throw SecurityError("this machine holds no CA key, so it cannot sign certificates; ask the machine that bootstrapped the cluster") }
        var names: [GeneralName] = request.dnsNames.map { .dnsName($0) }
        for address in request.ipAddresses {
            guard let bytes = IPAddressBytes.parse(address) else {
                throw SecurityError("'\(address)' is not an IPv4 or IPv6 address")
            }
            names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }
        var usages: [ExtendedKeyUsage.Usage] = []
        if request.usage.contains(.server) { usages.append(.serverAuth) }
        if request.usage.contains(.client) { usages.append(.clientAuth) }
        let authority = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
        let subjectName = request.commonName
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            if !usages.isEmpty { try ExtendedKeyUsage(usages) }
            SubjectKeyIdentifier(hash: request.publicKey)
            AuthorityKeyIdentifier(keyIdentifier: authority)
            if !names.isEmpty { SubjectAlternativeNames(names) }
        }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: request.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(lifetime),
            issuer: certificate.subject, subject: try DistinguishedName { CommonName(subjectName) },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(key))
    }

    /// A new key and a certificate for it signed by this CA, both PEM: for servers and
    /// clients outside Flotilla (an etcd cluster's members, a Prometheus scraper).
    public func issueKeyPair(commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [],
                             usage: CertificateOrder.Usage) throws -> (certificatePEM: String, keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let certificate = try issue(CertificateOrder(publicKey: Certificate.PublicKey(key.publicKey), commonName: commonName,
                                                     dnsNames: dnsNames, ipAddresses: ipAddresses, usage: usage))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// Whether `leaf` was signed by this CA and is valid at `now`.
    public func signed(_ leaf: Certificate, at now: Date = Date()) -> Bool {
        leaf.issuer == certificate.subject
            && certificate.publicKey.isValidSignature(leaf.signature, for: leaf)
            && leaf.notValidBefore <= now && now <= leaf.notValidAfter
    }
}

/// What a certificate is for, and for whom: the public key, the subject's name and the
/// addresses it answers on.
public struct CertificateOrder: Sendable {
    /// What a certificate may be used for.
    public struct Usage: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Serving TLS (the API, the embedded store).
        public static let server = Usage(rawValue: 1)
        /// A TLS client's identity (toward the store and other agents).
        public static let client = Usage(rawValue: 2)
    }

    public var publicKey: Certificate.PublicKey
    /// The subject's common name: a machine ID.
    public var commonName: String
    public var dnsNames: [String]
    public var ipAddresses: [String]
    public var usage: Usage

    public init(publicKey: Certificate.PublicKey, commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [], usage: Usage) {
        self.publicKey = publicKey; self.commonName = commonName; self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses; self.usage = usage
    }
}

/// A security failure, with the sentence a person reads.
public struct SecurityError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// IP address text to the bytes a certificate's subject alternative name holds.
public enum IPAddressBytes {
    /// 4 bytes for IPv4, 16 for IPv6, in network order; nil for anything else.
    public static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

extension Certificate {
    /// The subject's common name (the last CN in the name), if any.
    public var commonName: String? { Self.commonName(of: subject) }

    /// The last common name in `name`, if any.
    static func commonName(of name: DistinguishedName) -> String? {
        for rdn in name.reversed() {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let text = String(attribute.value) { return text }
            }
        }
        return nil
    }
}
