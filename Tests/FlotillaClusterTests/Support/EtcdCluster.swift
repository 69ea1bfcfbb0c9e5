import FlotillaTesting
import FlotillaEtcd
import FlotillaSecurity
import FlotillaStore
import Foundation
import Glibc

/// A real 3-member etcd 3.4 cluster on 127.0.0.1: three `etcd` processes with a static
/// `--initial-cluster`, free ports, temp data dirs and logs; ``stop()`` ends them and removes
/// the data. Clients reach it over TLS only and need a client certificate (`--cert-file`,
/// `--key-file`, `--trusted-ca-file`, `--client-cert-auth`), from a PKI the test makes with
/// its own CA (``pki``), as an operator's existing etcd PKI would be.
///
final class EtcdCluster: Sendable {
    /// One member.
    struct Member: Sendable {
        var name: String
        var clientPort: Int
        var peerPort: Int
        var process: ChildProcess
    }

    /// Where the members' data dirs and logs are.
    let directory: String
    /// The members, in start order.
    let members: [Member]
    /// The PKI's files: `ca.crt`, `etcd.crt`/`etcd.key` (the members'), `client.crt`/`client.key`.
    let pki: String
    /// A client's TLS: the CA and the client certificate.
    let tls: EtcdTLS

    /// `https://127.0.0.1:PORT` of every member, for `flotilla agent --store`.
    var endpoints: [String] { members.map { "https://127.0.0.1:\($0.clientPort)" } }

    /// The agent flags that use the client certificate.
    var agentArguments: [String] {
        ["--store-cacert", pki + "/ca.crt", "--store-cert", pki + "/client.crt", "--store-key", pki + "/client.key"]
    }

    private init(directory: String, members: [Member], pki: String, tls: EtcdTLS) {
        self.directory = directory
        self.members = members
        self.pki = pki
        self.tls = tls
    }

    /// Makes the CA, the members' server certificate (127.0.0.1, localhost; also a client
    /// certificate: etcd 3.4's gateway dials its own port with it) and a client certificate.
    private static func makePKI(in directory: String) throws -> (String, EtcdTLS) {
        let pki = directory + "/pki"
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        let ca = try ClusterCA.create()
        let server = try ca.issueKeyPair(commonName: "etcd", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: [.server, .client])
        let client = try ca.issueKeyPair(commonName: "flotilla-test", usage: .client)
        let files = [("ca.crt", ca.certificatePEM), ("etcd.crt", server.certificatePEM), ("etcd.key", server.keyPEM),
                     ("client.crt", client.certificatePEM), ("client.key", client.keyPEM)]
        for (name, text) in files { try SecretFile.write(text, to: pki + "/" + name) }
        return (pki, EtcdTLS(caPEM: ca.certificatePEM, certificatePEM: files[3].1, keyPEM: files[4].1))
    }

    /// Starts the three members and returns once the cluster accepts writes. A port taken
    /// between picking and binding makes a member exit: the whole cluster is started again on
    /// new ports (up to three tries).
    static func start(size: Int = 3) async throws -> EtcdCluster {
        var problem = ""
        for _ in 0..<3 {
            let directory = NSTemporaryDirectory() + "flotilla-etcd-cluster-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let (pki, tls) = try makePKI(in: directory)
            let ports = try LoopbackPorts.free(size * 2)
            let names = (1...size).map { "member\($0)" }
            let initial = names.enumerated().map { "\($1)=http://127.0.0.1:\(ports[$0 * 2 + 1])" }.joined(separator: ",")
            var members: [Member] = []
            for (index, name) in names.enumerated() {
                let client = ports[index * 2], peer = ports[index * 2 + 1]
                let arguments = [
                    "--name", name, "--data-dir", "\(directory)/\(name)",
                    "--listen-client-urls", "https://127.0.0.1:\(client)", "--advertise-client-urls", "https://127.0.0.1:\(client)",
                    "--cert-file", pki + "/etcd.crt", "--key-file", pki + "/etcd.key", "--trusted-ca-file", pki + "/ca.crt",
                    "--client-cert-auth",
                    "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)",
                    "--initial-cluster", initial, "--initial-cluster-state", "new",
                    "--initial-cluster-token", (directory as NSString).lastPathComponent,
                    "--heartbeat-interval", "100", "--election-timeout", "1000",
                ]
                let process = try ChildProcess.spawn(etcdPath, arguments, logPath: "\(directory)/\(name).log")
                members.append(Member(name: name, clientPort: client, peerPort: peer, process: process))
            }
            let cluster = EtcdCluster(directory: directory, members: members, pki: pki, tls: tls)
            do {
                try await cluster.waitUntilWritable()
                return cluster
            } catch {
                problem = "\(error)"
                cluster.stop()
            }
        }
        throw ClusterTestError("the 3-member etcd cluster did not start in 3 tries; last: \(problem)")
    }

    /// `etcd` on PATH, else /usr/bin/etcd.
    static var etcdPath: String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(directory)/etcd") { return "\(directory)/etcd" }
        }
        return "/usr/bin/etcd"
    }

    /// `etcdctl` beside `etcd`.
    static var etcdctlPath: String { (etcdPath as NSString).deletingLastPathComponent + "/etcdctl" }

    /// True when an `etcd` binary is installed.
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: etcdPath) }

    /// Puts a key through every member until all three accept it (or 30 s pass, or a member exits).
    private func waitUntilWritable() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        for member in members {
            let client = try EtcdStore.running(configuration: .init(endpoints: ["https://127.0.0.1:\(member.clientPort)"],
                                                            transportSecurity: tls.clientSecurity))
            let result = await Result { try await write(through: client, member: member, deadline: deadline) }
            await client.close()
            try result.get()
        }
    }

    private func write(through client: EtcdStore, member: Member, deadline: ContinuousClock.Instant) async throws {
        while true {
            if let code = members.first(where: { $0.process.exitStatus != nil })?.process.exitStatus {
                throw ClusterTestError("an etcd member exited with \(code):\n\(logTails())")
            }
            let key = Bytes(utf8: "/cluster-test/ready"), value = Bytes(utf8: member.name)
            if (try? await client.put(PutRequest(key: key, value: value))) != nil { return }
            guard ContinuousClock.now < deadline else { throw ClusterTestError("etcd cluster not writable after 30 s:\n\(logTails())") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The last lines of every member's log.
    func logTails(_ lines: Int = 15) -> String {
        members.map { "--- etcd \($0.name):\n\($0.process.logTail(lines))" }.joined(separator: "\n")
    }

    /// Stops every member (SIGTERM, then SIGKILL after 5 s) and removes the data dirs and logs.
    func stop() {
        for member in members { member.process.signal(SIGTERM) }
        for member in members where member.process.waitForExit(timeout: .seconds(5)) == nil {
            member.process.killAndReap()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing body.
    init(_ body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
