import Crypto
import Foundation
import X509

/// A machine joining the cluster gets its certificates without its keys ever leaving it:
/// it makes two keys and sends a certificate signing request for each (``Enrollment/init()``,
/// ``requests(machineID:)``); the signer checks and signs them (``sign(_:by:)``); the
/// joining machine puts the answer and its keys together (``certificates(ca:server:client:)``).
public struct Enrollment: Sendable {
    public let serverKey: P256.Signing.PrivateKey
    public let clientKey: P256.Signing.PrivateKey

    /// Fresh keys.
    public init() {
        serverKey = P256.Signing.PrivateKey()
        clientKey = P256.Signing.PrivateKey()
    }

    /// The two requests (PEM), each naming `machineID` and signed by its key.
    public func requests(machineID: String) throws -> (server: String, client: String) {
        func request(_ key: P256.Signing.PrivateKey) throws -> String {
            try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName(machineID) },
                                          privateKey: Certificate.PrivateKey(key), attributes: .init())
                .serializeAsPEM().pemString
        }
        return (try request(serverKey), try request(clientKey))
    }

    /// The machine's certificate set from the signer's answer (PEM) and these keys.
    /// - Throws: ``SecurityError`` when the answer does not match the keys or the CA.
    public func certificates(ca caPEM: String, server serverPEM: String, client clientPEM: String) throws -> MachineCertificates {
        let ca: Certificate, server: Certificate, client: Certificate
        do {
            ca = try Certificate(pemEncoded: caPEM)
            server = try Certificate(pemEncoded: serverPEM)
            client = try Certificate(pemEncoded: clientPEM)
        } catch {
            throw SecurityError("the join answer holds no valid certificates (\(error))")
        }
        let authority = ClusterCA(certificate: ca, key: nil)
        guard authority.signed(server), authority.signed(client),
              server.publicKey == Certificate.PublicKey(serverKey.publicKey),
              client.publicKey == Certificate.PublicKey(clientKey.publicKey) else {
            throw SecurityError("the join answer's certificates do not match this machine's keys or the cluster CA")
        }
        return MachineCertificates(ca: authority, server: server, serverKey: serverKey, client: client, clientKey: clientKey)
    }

    /// Signs a joining machine's two requests with `ca`: the server certificate for `names`,
    /// the client certificate as the machine's identity. Each request must be signed by its
    /// own key and name `machineID`.
    public static func sign(_ order: Order, by ca: ClusterCA) throws -> (server: String, client: String) {
        func parse(_ pem: String, _ what: String) throws -> CertificateSigningRequest {
            guard let request = try? CertificateSigningRequest(pemEncoded: pem),
                  request.publicKey.isValidSignature(request.signature, for: request) else {
                throw SecurityError("the \(what) certificate request is not a valid, self-signed PEM request")
            }
            let named = Certificate.commonName(of: request.subject)
            guard named == order.machineID else {
                throw SecurityError("the \(what) certificate request names '\(named ?? "")', not machine \(order.machineID)")
            }
            return request
        }
        let serverRequest = try parse(order.serverRequest, "server"), clientRequest = try parse(order.clientRequest, "client")
        let names = ServerNames(hosts: order.hosts)
        let server = try ca.issue(names.order(for: serverRequest.publicKey, machineID: order.machineID))
        let client = try ca.issue(CertificateOrder(publicKey: clientRequest.publicKey, commonName: order.machineID, usage: .client))
        return (try server.serializeAsPEM().pemString, try client.serializeAsPEM().pemString)
    }

    /// What a joining machine asks to have signed.
    public struct Order: Sendable {
        public var machineID: String
        public var serverRequest: String
        public var clientRequest: String
        /// Host names and addresses the server certificate should name.
        public var hosts: [String]

        public init(machineID: String, serverRequest: String, clientRequest: String, hosts: [String]) {
            self.machineID = machineID; self.serverRequest = serverRequest; self.clientRequest = clientRequest; self.hosts = hosts
        }
    }
}

