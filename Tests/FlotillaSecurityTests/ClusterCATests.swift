import FlotillaSecurity
import Foundation
import Testing

@Suite("cluster CA and machine certificates")
struct ClusterCATests {
    @Test("a machine's certificates are signed by the CA, name the machine, and survive a write and a load")
    func issueWriteLoad() throws {
        let ca = try ClusterCA.create()
        let certificates = try MachineCertificates.issue(by: ca, machineID: "m1", names: ServerNames(hosts: ["10.0.0.5", "node-1"]))
        #expect(ca.signed(certificates.server) && ca.signed(certificates.client))
        #expect(certificates.machineID == "m1")
        let directory = NSTemporaryDirectory() + "flotilla-tls-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try certificates.write(to: directory + "/tls")
        let loaded = try #require(try MachineCertificates.load(directory: directory + "/tls"))
        #expect(loaded.ca.fingerprint == ca.fingerprint && loaded.ca.canSign)
        #expect(loaded.server == certificates.server && loaded.client == certificates.client)
        for key in ["ca.key", "server.key", "client.key"] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: directory + "/tls/" + key)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "\(key) has mode \(String(mode, radix: 8))")
        }
        #expect(!certificates.needsRenewal())
        #expect(certificates.needsRenewal(at: Date().addingTimeInterval(MachineCertificates.lifetime - 86_400)))
    }

    @Test("a CA that did not sign a certificate does not accept it")
    func otherCA() throws {
        let ca = try ClusterCA.create(), other = try ClusterCA.create()
        let certificates = try MachineCertificates.issue(by: other, machineID: "m1", names: ServerNames(hosts: []))
        #expect(!ca.signed(certificates.client))
        #expect(ca.fingerprint != other.fingerprint && ca.fingerprint.count == 64)
        #expect(throws: SecurityError.self) { try ClusterCA(certificate: ca.certificate, key: nil).issue(
            CertificateOrder(publicKey: certificates.client.publicKey, commonName: "x", usage: .client)) }
    }

    @Test("enrollment: the joining machine's requests are signed, its keys never leave it, and a request naming another machine is refused")
    func enrollment() throws {
        let ca = try ClusterCA.create()
        let enrollment = Enrollment()
        let requests = try enrollment.requests(machineID: "m2")
        let signed = try Enrollment.sign(.init(machineID: "m2", serverRequest: requests.server, clientRequest: requests.client,
                                               hosts: ["192.168.1.2"]), by: ca)
        let certificates = try enrollment.certificates(ca: ca.certificatePEM, server: signed.server, client: signed.client)
        #expect(certificates.machineID == "m2" && !certificates.ca.canSign)
        #expect(throws: SecurityError.self) {
            try Enrollment.sign(.init(machineID: "m3", serverRequest: requests.server, clientRequest: requests.client, hosts: []), by: ca)
        }
        // Certificates for other keys are refused by the joining side.
        let stranger = Enrollment()
        #expect(throws: SecurityError.self) { try stranger.certificates(ca: ca.certificatePEM, server: signed.server, client: signed.client) }
    }

    @Test("tokens: NAME.SECRET and join tokens parse, hash, and reject malformed text")
    func tokens() throws {
        let token = AccessToken.generate(name: "ci-bot")
        let parsed = try #require(AccessToken(text: token.text))
        #expect(parsed == token && parsed.matches(hash: token.hash) && !parsed.matches(hash: AccessToken.hash("other")))
        let join = JoinToken(caFingerprint: String(repeating: "ab", count: 32), token: token)
        #expect(JoinToken(text: join.text) == join)
        #expect(AccessToken(text: join.text) == token)
        for bad in ["", "nodot", "Upper.abcd", "name.", ".abcd", "name.xyz", "a/b.abcd", "flj1:zz:name.abcd"] {
            #expect(AccessToken(text: bad) == nil, "\(bad) parsed")
        }
        #expect(!AccessToken.isValidName(String(repeating: "a", count: 64)) && AccessToken.isValidName("admin"))
    }
}
