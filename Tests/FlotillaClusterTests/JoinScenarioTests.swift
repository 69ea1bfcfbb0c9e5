import FlotillaAPI
import FlotillaModel
import FlotillaSecurity
import FlotillaStore
import Foundation
import Testing

extension ClusterScenarioTests {
    /// Joining: agent 2 joins agent 1's cluster with the join token agent 1 printed; an agent
    /// with a token that names another CA, a wrong secret or an expired token is refused,
    /// says why, and writes no credentials.
    @Test("join: a valid token joins; a wrong CA hash, a bad token and an expired one are refused and nothing is written; etcdctl needs a certificate of the cluster CA; a joined machine renews its certificates when due")
    func joinRefusals() async throws {
        try await TestCluster.with(.embedded, agents: 2, name: "join") { cluster in
            let joined = cluster.agent(2).stateDirectory
            #expect(FileManager.default.fileExists(atPath: joined + "/tls/client.crt"), "agent 2 holds its certificates")
            #expect(!FileManager.default.fileExists(atPath: joined + "/tls/ca.key"), "only the bootstrapping machine can sign")
            #expect(FileManager.default.fileExists(atPath: cluster.agent(1).stateDirectory + "/tls/ca.key"))
            let text = try String(contentsOfFile: cluster.agent(1).stateDirectory + "/join.token", encoding: .utf8)
            let token = try #require(JoinToken(text: text))
            let old = AccessToken.generate(name: "old-join")
            let store = try cluster.storeClient()
            let now = Date().timeIntervalSince1970
            _ = try await store.put(PutRequest(key: Bytes(utf8: StoreLayout().token(old.name)), value: RecordCodec.encode(
                TokenRecord(name: old.name, role: .join, hash: old.hash, created: now - 7200, expires: now - 3600, createdBy: "test"))))
            await store.close()
            let cases = [
                (JoinToken(caFingerprint: String(repeating: "0", count: 64), token: token.token).text, "does not present the CA the join token names"),
                (JoinToken(caFingerprint: token.caFingerprint, token: AccessToken(name: token.token.name, secret: String(repeating: "ab", count: 32))).text,
                 "the join token was refused (the token is unknown or was revoked"),
                (JoinToken(caFingerprint: token.caFingerprint, token: old).text, "the join token was refused (token old-join expired at"),
                ("not-a-token", "--join needs --join-token flj1:"),
            ]
            for (k, (bad, expected)) in cases.enumerated() {
                let state = cluster.directory + "/refused-\(k)"
                let result = try await FlotillaCLI.run(["agent", "--state-dir", state, "--listen", "127.0.0.1:0", "--store-listen", "127.0.0.1:0",
                                                        "--join", cluster.agent(1).api, "--join-token", bad],
                                                       in: cluster.directory, environment: ["FLOTILLA_CONFIG": state + "/client.yaml"],
                                                       timeout: .seconds(60))
                #expect(result.status != 0 && result.output.contains(expected), "\(result)")
                for file in ["tls", "joined.json", "admin.token", "client.yaml"] {
                    #expect(!FileManager.default.fileExists(atPath: state + "/" + file), "\(file) written after a refused join")
                }
            }

            // The embedded store is etcd over TLS with client certificates required: real
            // etcdctl works with the agent's certificate and is refused without one or with
            // one of another CA.
            let tls = cluster.agent(1).stateDirectory + "/tls/"
            let other = try ClusterCA.create().issueKeyPair(commonName: "intruder", usage: .client)
            try other.certificatePEM.write(toFile: cluster.directory + "/other.crt", atomically: true, encoding: .utf8)
            try other.keyPEM.write(toFile: cluster.directory + "/other.key", atomically: true, encoding: .utf8)
            let base = ["--endpoints", "https://" + (cluster.agent(1).storeAddress ?? ""), "--cacert", tls + "ca.crt",
                        "--dial-timeout", "3s", "--command-timeout", "5s", "get", "--print-value-only", StoreLayout().clusterCA]
            let etcdctl = { (arguments: [String]) in try runTool(EtcdCluster.etcdctlPath, arguments, environment: ["ETCDCTL_API": "3"]) }
            let agent = try etcdctl(["--cert", tls + "client.crt", "--key", tls + "client.key"] + base)
            #expect(agent.status == 0 && agent.output.contains("BEGIN CERTIFICATE"), "etcdctl with the agent's certificate: \(agent.output)")
            let anonymous = try etcdctl(base)
            #expect(anonymous.status != 0, "etcdctl without a client certificate: \(anonymous.output)")
            let intruder = try etcdctl(["--cert", cluster.directory + "/other.crt", "--key", cluster.directory + "/other.key"] + base)
            #expect(intruder.status != 0, "etcdctl with another CA's certificate: \(intruder.output)")

            // A joined machine renews its certificates when they enter their last 30 days:
            // running, it restarts itself in place (same process), and the new start has them
            // signed by the agent it joined through, with keys it makes itself.
            let second = cluster.agent(2)
            _ = cluster.killAgent(second)
            let signer = try #require(try MachineCertificates.load(directory: cluster.agent(1).stateDirectory + "/tls")).ca
            let lifetime = MachineCertificates.lifetime - MachineCertificates.renewalWindow - 4   // due 4 s after the start
            var due = try MachineCertificates.issue(by: signer, machineID: second.machineID, names: ServerNames(hosts: ["127.0.0.1"]),
                                                    now: Date().addingTimeInterval(-lifetime))
            due.ca = ClusterCA(certificate: signer.certificate, key: nil)
            try due.write(to: joined + "/tls")
            let restarted = try await cluster.restart(second)
            var renewed = due
            // Until the renewal has landed whole: this loop reads the files one by one while the
            // agent swaps the directory, so it can read an old server and a new client certificate.
            for _ in 0..<300 where renewed.client.serialNumber == due.client.serialNumber || renewed.needsRenewal() {
                try await Task.sleep(for: .milliseconds(100))
                renewed = (try? MachineCertificates.load(directory: joined + "/tls")) ?? nil ?? due
            }
            #expect(!renewed.needsRenewal() && renewed.client.serialNumber != due.client.serialNumber
                    && renewed.clientKey.publicKey.rawRepresentation != due.clientKey.publicKey.rawRepresentation,
                    "agent 2 renewed its certificates with a new key, until \(renewed.client.notValidAfter)")
            #expect(!FileManager.default.fileExists(atPath: joined + "/tls/ca.key"), "and still cannot sign")
            #expect(restarted.process.exitStatus == nil, "the same agent process goes on: \(restarted.process.logTail())")
            #expect(restarted.process.log.contains("restarting to renew this machine's certificates"))
            // Its API is back, with the renewed certificate (on a new port: the test agents listen on port 0).
            try await eventually("agent 2 serving again after its restart in place", timeout: .seconds(30)) { () -> Bool? in
                let machine = try await cluster.client().machines().machines.first { $0.id == second.machineID }
                guard let url = machine?.record?.apiURL, url != restarted.api else { return nil }
                return try await APIClient(endpoint: url, credentials: cluster.credentials(), timeout: 5).health().storeReachable ? true : nil
            }
            // And SIGTERM still stops it (the restarted program must not inherit blocked or ignored signals).
            restarted.process.signal(SIGTERM)
            #expect(restarted.process.waitForExit(timeout: .seconds(20)) == 0, "the restarted agent stops on SIGTERM: \(restarted.process.logTail())")
        }
    }
}
