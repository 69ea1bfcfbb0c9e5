import Crypto
import Foundation
import X509

/// One machine's TLS material under `<state-dir>/tls/`: the cluster CA's certificate (and its
/// key on the machine that signs), the server certificate the API serves, and the client
/// certificate that is the machine's identity toward other agents (CN = the machine ID).
///
/// Files: `ca.crt`, `ca.key` (0600, signer only), `server.crt`, `server.key` (0600),
/// `client.crt`, `client.key` (0600). ``write(to:)`` replaces the whole set at once: it
/// writes a sibling directory and renames it over `tls/`, so a crash leaves the old set or the
/// new one, never a mix.
public struct MachineCertificates: Sendable {
    /// How long a machine certificate is valid; ``needsRenewal(at:)`` is true in its last 30 days.
    public static let lifetime: TimeInterval = 365 * 86_400
    /// How long before expiry a certificate is renewed.
    public static let renewalWindow: TimeInterval = 30 * 86_400

    public var ca: ClusterCA
    public var server: Certificate
    public var serverKey: P256.Signing.PrivateKey
    public var client: Certificate
    public var clientKey: P256.Signing.PrivateKey

    public init(ca: ClusterCA, server: Certificate, serverKey: P256.Signing.PrivateKey, client: Certificate,
                clientKey: P256.Signing.PrivateKey) {
        self.ca = ca; self.server = server; self.serverKey = serverKey; self.client = client; self.clientKey = clientKey
    }

    /// The machine ID the client certificate names.
    public var machineID: String? { client.commonName }

    /// Issues a server and a client certificate for `machineID` with fresh keys, signed by `ca`.
    public static func issue(by ca: ClusterCA, machineID: String, names: ServerNames, now: Date = Date()) throws -> MachineCertificates {
        let serverKey = P256.Signing.PrivateKey(), clientKey = P256.Signing.PrivateKey()
        let server = try ca.issue(names.order(for: Certificate.PublicKey(serverKey.publicKey), machineID: machineID), now: now)
        let client = try ca.issue(CertificateOrder(publicKey: Certificate.PublicKey(clientKey.publicKey), commonName: machineID,
                                                   usage: .client), now: now)
        return MachineCertificates(ca: ca, server: server, serverKey: serverKey, client: client, clientKey: clientKey)
    }

    /// Whether either machine certificate expires within ``renewalWindow`` of `now`.
    public func needsRenewal(at now: Date = Date()) -> Bool {
        min(server.notValidAfter, client.notValidAfter) < now.addingTimeInterval(Self.renewalWindow)
    }

    /// The files of `directory` (`<state-dir>/tls`); nil when there are none yet.
    /// - Throws: ``SecurityError`` naming the file when the set is incomplete or unreadable.
    public static func load(directory: String) throws -> MachineCertificates? {
        let files = TLSFiles(directory: directory)
        guard FileManager.default.fileExists(atPath: files.caCertificate) else { return nil }
        do {
            let caCertificate = try Certificate(pemEncoded: files.read(files.caCertificate))
            let caKey = FileManager.default.fileExists(atPath: files.caKey)
                ? try P256.Signing.PrivateKey(pemRepresentation: files.read(files.caKey)) : nil
            return MachineCertificates(
                ca: ClusterCA(certificate: caCertificate, key: caKey),
                server: try Certificate(pemEncoded: files.read(files.serverCertificate)),
                serverKey: try P256.Signing.PrivateKey(pemRepresentation: files.read(files.serverKey)),
                client: try Certificate(pemEncoded: files.read(files.clientCertificate)),
                clientKey: try P256.Signing.PrivateKey(pemRepresentation: files.read(files.clientKey)))
        } catch let error as SecurityError {
            throw error
        } catch {
            throw SecurityError("the TLS files in \(directory) cannot be read (\(error)); restore them from a backup, or remove the directory and join the machine again")
        }
    }

    /// Writes the whole set to `directory` (created 0700), replacing what was there.
    public func write(to directory: String) throws {
        let staging = directory + ".new-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let files = TLSFiles(directory: staging)
        do {
            try files.write(ca.certificatePEM, to: files.caCertificate, mode: 0o644)
            if let key = ca.key { try files.write(key.pemRepresentation, to: files.caKey, mode: 0o600) }
            try files.write(server.serializeAsPEM().pemString, to: files.serverCertificate, mode: 0o644)
            try files.write(serverKey.pemRepresentation, to: files.serverKey, mode: 0o600)
            try files.write(client.serializeAsPEM().pemString, to: files.clientCertificate, mode: 0o644)
            try files.write(clientKey.pemRepresentation, to: files.clientKey, mode: 0o600)
            let old = directory + ".old-\(getpid())"
            if FileManager.default.fileExists(atPath: directory) { try FileManager.default.moveItem(atPath: directory, toPath: old) }
            try FileManager.default.moveItem(atPath: staging, toPath: directory)
            try? FileManager.default.removeItem(atPath: old)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw SecurityError("cannot write the TLS files to \(directory): \(error)")
        }
    }
}

/// The names a server certificate answers to: always `localhost`, 127.0.0.1 and ::1, plus
/// the machine's host name and the addresses it is advertised and listens on.
public struct ServerNames: Sendable, Hashable, Codable {
    public var dnsNames: [String]
    public var ipAddresses: [String]

    /// Names from host names and addresses (each kept once; wildcard addresses are left out).
    public init(hosts: [String]) {
        var dns = ["localhost"], ips = ["127.0.0.1", "::1"]
        for host in hosts where !host.isEmpty && host != "0.0.0.0" && host != "::" {
            if IPAddressBytes.parse(host) != nil {
                if !ips.contains(host) { ips.append(host) }
            } else if !dns.contains(host.lowercased()) {
                dns.append(host.lowercased())
            }
        }
        dnsNames = dns
        ipAddresses = ips
    }

    func order(for key: Certificate.PublicKey, machineID: String) -> CertificateOrder {
        CertificateOrder(publicKey: key, commonName: machineID, dnsNames: dnsNames, ipAddresses: ipAddresses, usage: .server)
    }
}

/// The paths of the files in a `tls/` directory.
public struct TLSFiles: Sendable {
    public let directory: String
    public init(directory: String) { self.directory = directory }

    public var caCertificate: String { directory + "/ca.crt" }
    public var caKey: String { directory + "/ca.key" }
    public var serverCertificate: String { directory + "/server.crt" }
    public var serverKey: String { directory + "/server.key" }
    public var clientCertificate: String { directory + "/client.crt" }
    public var clientKey: String { directory + "/client.key" }

    func read(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SecurityError("cannot read \(path): \(error.localizedDescription); the TLS files are incomplete")
        }
    }

    func write(_ text: String, to path: String, mode: mode_t) throws {
        try SecretFile.write(text, to: path, mode: mode)
    }
}

/// Writes small files whole, with their mode set before any byte is in them.
public enum SecretFile {
    /// Writes `text` to `path` through a temporary file renamed over it; the file has `mode`
    /// from its creation (0600 for keys and tokens).
    public static func write(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw SecurityError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        fchmod(descriptor, mode)
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw SecurityError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
