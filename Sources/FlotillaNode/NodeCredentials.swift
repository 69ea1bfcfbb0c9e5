import FlotillaAgent
import FlotillaEtcd
import FlotillaAPI
import FlotillaModel
import FlotillaSecurity
import FlotillaStore
import Foundation
import Logging
import Synchronization

/// How a node comes by its certificates, at start:
///
/// - it has them (`<state-dir>/tls/`): it checks that the store belongs to the same CA and
///   renews its certificates in their last 30 days — itself when it holds the CA key, else
///   through the agent it joined through;
/// - `--join URL --join-token T`: before it opens the store it asks the agent at URL to sign
///   its certificates, trusting that agent only if it presents the CA whose SHA-256 the token
///   carries, and learns the store's endpoints; nothing is written unless the join succeeds;
/// - a configured issuer (``NodeConfiguration/issuer``, `flotilla dev`'s other machines): the
///   issuer signs in-process;
/// - none of these: it bootstraps a new cluster once the store is open — unless the store
///   already belongs to one, when it stops and says how to join. Bootstrapping makes the CA,
///   an admin token (`<state-dir>/admin.token`), a join token valid 24 h (`join.token`) and
///   the client config for the agent's user (``NodeConfiguration/clientConfigPath``).
enum NodeCredentials {
    /// What the node starts with, before its store is open.
    struct Start {
        /// Nil: bootstrap once the store is open.
        var certificates: MachineCertificates?
        /// Store endpoints learnt by joining (or remembered from the join), when no `--store` is given.
        var storeEndpoints: [String]
    }

    /// What a bootstrap made.
    struct Bootstrap {
        var certificates: MachineCertificates
        var joinToken: String
    }

    /// Hours a bootstrap's join token is valid.
    static let joinTokenTTL: Double = 24 * 3600

    /// The certificates the node has or gets by joining.
    static func start(_ c: NodeConfiguration, machineID: String, logger: Logger) async throws -> Start {
        let directory = c.stateDirectory + "/tls"
        let joined = JoinedCluster.load(stateDirectory: c.stateDirectory)
        if let existing = try MachineCertificates.load(directory: directory) {
            guard existing.machineID == machineID else {
                throw AgentError("the client certificate in \(directory) names machine \(existing.machineID ?? "?"), not \(machineID); restore this machine's own state directory")
            }
            return Start(certificates: existing, storeEndpoints: joined?.store ?? [])
        }
        if let issuer = c.issuer {
            var certificates = try MachineCertificates.issue(by: issuer, machineID: machineID, names: ServerNames(hosts: hosts(c)))
            certificates.ca = ClusterCA(certificate: issuer.certificate, key: nil)
            try certificates.write(to: directory)
            return Start(certificates: certificates, storeEndpoints: [])
        }
        guard let url = c.join else { return Start(certificates: nil, storeEndpoints: []) }
        return try await join(url: url, token: c.joinToken, c, machineID: machineID, logger: logger)
    }

    /// Joins through the agent at `url`.
    private static func join(url: String, token text: String?, _ c: NodeConfiguration, machineID: String,
                             logger: Logger) async throws -> Start {
        guard let text, let token = JoinToken(text: text) else {
            throw AgentError("--join needs --join-token flj1:<CA SHA-256>:NAME.SECRET, as the bootstrapping agent printed it (its <state-dir>/join.token; flotilla token create --role join makes more)")
        }
        let enrollment = Enrollment()
        let requests = try enrollment.requests(machineID: machineID)
        let answer: JoinAnswer
        do {
            let client = try APIClient.pinned(endpoint: url, fingerprint: token.caFingerprint, token: token.token.text) { _ in }
            let request = JoinRequest(machineID: machineID, serverRequest: requests.server, clientRequest: requests.client, hosts: hosts(c))
            // An agent started together with the one it joins through waits for it (30 s).
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                do {
                    answer = try await client.join(request)
                    break
                } catch APIClientError.unreachable(_, let detail) where detail == "connection refused" && ContinuousClock.now < deadline {
                    logger.info("waiting for the agent to join through", metadata: ["via": "\(url)"])
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
        } catch let error as APIClientError {
            switch error {
            case .rejected(let status, let message, _, _) where status == 401:
                throw AgentError("cannot join through \(url): the join token was refused (\(message)); nothing was written")
            case .unreachable(_, let detail) where detail.contains("TLS"):
                throw AgentError("cannot join through \(url): the agent there does not present the CA the join token names (SHA-256 \(token.caFingerprint.prefix(16))…), so nothing was sent; check the URL and that the token is this cluster's (\(detail))")
            default:
                throw AgentError("cannot join through \(url): \(error); nothing was written")
            }
        }
        let certificates: MachineCertificates
        do {
            certificates = try enrollment.certificates(ca: answer.ca, server: answer.serverCertificate, client: answer.clientCertificate)
        } catch {
            throw AgentError("cannot join through \(url): \(error); nothing was written")
        }
        guard certificates.ca.fingerprint == token.caFingerprint else {
            throw AgentError("cannot join through \(url): it answered with another CA than the token names; nothing was written")
        }
        try certificates.write(to: c.stateDirectory + "/tls")
        try JoinedCluster(via: url, store: answer.store).save(stateDirectory: c.stateDirectory)
        logger.info("joined the cluster", metadata: ["via": "\(url)", "ca": "\(token.caFingerprint.prefix(16))"])
        return Start(certificates: certificates, storeEndpoints: answer.store)
    }

    /// Makes a new cluster's CA and credentials, once the store is open and empty of any CA.
    static func bootstrap(_ c: NodeConfiguration, store: any KeyValueStore, layout: StoreLayout, machineID: String,
                          apiURL: String) async throws -> Bootstrap {
        let key = Bytes(utf8: layout.clusterCA)
        if let existing = try await store.range(RangeRequest(key: key)).kvs.first {
            throw AgentError("the store already belongs to a cluster (its CA is at \(layout.clusterCA), \(existing.value.count) bytes) and this machine has no certificates; join it: flotilla agent --join https://AGENT:\(APIClient.defaultPort) --join-token TOKEN (the bootstrapping agent's <state-dir>/join.token, or flotilla token create --role join). Nothing was written")
        }
        let ca = try ClusterCA.create()
        let certificates = try MachineCertificates.issue(by: ca, machineID: machineID, names: ServerNames(hosts: hosts(c)))
        let now = Date().timeIntervalSince1970
        let admin = AccessToken.generate(name: AccessToken.generatedName(role: "admin"))
        let join = AccessToken.generate(name: AccessToken.generatedName(role: "join"))
        let records = [TokenRecord(name: admin.name, role: .admin, hash: admin.hash, created: now, expires: nil, createdBy: "bootstrap"),
                       TokenRecord(name: join.name, role: .join, hash: join.hash, created: now, expires: now + joinTokenTTL, createdBy: "bootstrap")]
        let written = try await store.txn(TxnRequest(
            compare: [Compare(key: key, .createRevision(0), .equal)],
            success: [.put(PutRequest(key: key, value: Array(ca.certificatePEM.utf8)))]
                + records.map { .put(PutRequest(key: Bytes(utf8: layout.token($0.name)), value: RecordCodec.encode($0))) }))
        guard written.succeeded else {
            throw AgentError("another agent bootstrapped this store at the same time; join it instead (--join, --join-token). Nothing was written")
        }
        try certificates.write(to: c.stateDirectory + "/tls")
        let joinText = JoinToken(caFingerprint: ca.fingerprint, token: join).text
        try SecretFile.write(admin.text + "\n", to: c.stateDirectory + "/admin.token")
        try SecretFile.write(joinText + "\n", to: c.stateDirectory + "/join.token")
        if let path = c.clientConfigPath {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let config = ClientConfig(endpoint: apiURL, ca: c.stateDirectory + "/tls/ca.crt", token: admin.text)
            try SecretFile.write(config.render(), to: path)
        }
        return Bootstrap(certificates: certificates, joinToken: joinText)
    }

    /// Checks that the store belongs to `certificates`' CA (writing the CA when the store has
    /// none, e.g. a new etcd), and renews the machine's certificates when they are due:
    /// itself when it can sign, else through the agent it joined through.
    static func confirm(_ certificates: MachineCertificates, _ c: NodeConfiguration, store: any KeyValueStore,
                        layout: StoreLayout, machineID: String, logger: Logger) async throws -> MachineCertificates {
        let key = Bytes(utf8: layout.clusterCA)
        let ours = certificates.ca.certificatePEM
        let response = try await store.txn(TxnRequest(
            compare: [Compare(key: key, .createRevision(0), .equal)],
            success: [.put(PutRequest(key: key, value: Array(ours.utf8)))],
            failure: [.range(RangeRequest(key: key))]))
        if !response.succeeded, case .range(let current)? = response.responses.first,
           let stored = current.kvs.first, String(decoding: stored.value, as: UTF8.self) != ours {
            throw AgentError("this machine's CA (\(c.stateDirectory)/tls/ca.crt, SHA-256 \(certificates.ca.fingerprint.prefix(16))…) is not the CA of the store it uses; point it at its own cluster's store, or remove \(c.stateDirectory)/tls and join this one")
        }
        guard certificates.needsRenewal() else { return certificates }
        guard certificates.ca.canSign else { return await renew(certificates, c, machineID: machineID, logger: logger) }
        let renewed = try MachineCertificates.issue(by: certificates.ca, machineID: machineID, names: ServerNames(hosts: hosts(c)))
        try renewed.write(to: c.stateDirectory + "/tls")
        logger.info("renewed this machine's certificates", metadata: ["expires": "\(renewed.server.notValidAfter)"])
        return renewed
    }

    /// Renews the certificates of a machine that cannot sign through the agent it joined
    /// through (`joined.json`), which signs new ones for the machine its current client
    /// certificate names (`POST /v1/renew`); keys are made here and never leave. On failure
    /// the machine goes on with its current certificates and says until when they hold.
    private static func renew(_ certificates: MachineCertificates, _ c: NodeConfiguration, machineID: String,
                              logger: Logger) async -> MachineCertificates {
        let expires = min(certificates.server.notValidAfter, certificates.client.notValidAfter)
        guard let via = JoinedCluster.load(stateDirectory: c.stateDirectory)?.via else {
            logger.warning("this machine's certificates expire soon, it cannot sign and does not know which agent it joined through; join it again to renew them",
                           metadata: ["expires": "\(expires)"])
            return certificates
        }
        do {
            let enrollment = Enrollment()
            let requests = try enrollment.requests(machineID: machineID)
            let client = try APIClient(endpoint: via, credentials: .machine(certificates))
            let answer = try await client.renew(JoinRequest(machineID: machineID, serverRequest: requests.server,
                                                            clientRequest: requests.client, hosts: hosts(c)))
            var renewed = try enrollment.certificates(ca: answer.ca, server: answer.serverCertificate, client: answer.clientCertificate)
            guard renewed.ca.fingerprint == certificates.ca.fingerprint else {
                throw SecurityError("\(via) answered with another CA")
            }
            renewed.ca = certificates.ca
            try renewed.write(to: c.stateDirectory + "/tls")
            logger.info("renewed this machine's certificates", metadata: ["via": "\(via)", "expires": "\(renewed.server.notValidAfter)"])
            return renewed
        } catch {
            logger.warning("this machine's certificates expire soon and could not be renewed; it keeps them and tries again at its next start",
                           metadata: ["via": "\(via)", "expires": "\(expires)", "error": "\(error)"])
            return certificates
        }
    }

    /// How the node reaches an etcd cluster: the files `--store-cacert`, `--store-cert` and
    /// `--store-key` name; else, for `https://` endpoints (a joined cluster's embedded store),
    /// the machine's CA and client certificate; else plaintext (nil).
    static func storeTLS(_ c: NodeConfiguration, _ certificates: MachineCertificates?) throws -> EtcdTLS? {
        guard !c.storeEndpoints.isEmpty else { return nil }
        if let ca = c.storeCACert {
            do { return try EtcdTLS.files(ca: ca, certificate: c.storeCert, key: c.storeKey) } catch { throw AgentError("\(error)") }
        }
        guard c.storeCert == nil, c.storeKey == nil else {
            throw AgentError("--store-cert and --store-key need --store-cacert, the CA that signed the etcd servers' certificates")
        }
        guard c.storeEndpoints.contains(where: { $0.lowercased().hasPrefix("https://") }) else { return nil }
        guard let certificates else {
            throw AgentError("the store endpoints are https:// but no CA is known: give --store-cacert FILE (and --store-cert, --store-key when the etcd cluster checks client certificates), or join with --join")
        }
        return try .client(certificates)
    }

    /// Names the server certificate should carry: the advertised host, the API and store
    /// listen hosts and the machine's host name.
    static func hosts(_ c: NodeConfiguration) -> [String] {
        var hosts = [ProcessInfo.processInfo.hostName]
        if let advertise = c.advertise, let host = URL(string: advertise)?.host { hosts.append(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) }
        for listen in [c.apiListen, c.storeListen] {
            if let (host, _) = try? HostPort.parse(listen, setting: "listen") { hosts.append(host) }
        }
        return hosts
    }
}

/// `<state-dir>/joined.json`: where a joined machine's store is, so a restart without
/// `--store` uses it (instead of serving an embedded store of its own).
struct JoinedCluster: Codable {
    /// The API URL it joined through.
    var via: String
    /// The store endpoints the join answered.
    var store: [String]

    static func load(stateDirectory: String) -> JoinedCluster? {
        guard let data = FileManager.default.contents(atPath: stateDirectory + "/joined.json") else { return nil }
        return try? JSONDecoder().decode(JoinedCluster.self, from: data)
    }

    func save(stateDirectory: String) throws {
        let data = try JSONEncoder().encode(self)
        try SecretFile.write(String(decoding: data, as: UTF8.self), to: stateDirectory + "/joined.json", mode: 0o644)
    }
}
