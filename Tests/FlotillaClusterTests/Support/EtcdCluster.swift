import FlotillaEtcd
import FlotillaStore
import Foundation
import Glibc

/// A real 3-member etcd 3.4 cluster on 127.0.0.1: three `etcd` processes with a static
/// `--initial-cluster`, free ports, temp data dirs and logs; ``stop()`` ends them and removes
/// the data.
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

    /// `127.0.0.1:PORT` of every member, for `flotilla agent --store`.
    var endpoints: [String] { members.map { "127.0.0.1:\($0.clientPort)" } }

    private init(directory: String, members: [Member]) {
        self.directory = directory
        self.members = members
    }

    /// Starts the three members and returns once the cluster accepts writes. A port taken
    /// between picking and binding makes a member exit: the whole cluster is started again on
    /// new ports (up to three tries).
    static func start(size: Int = 3) async throws -> EtcdCluster {
        var problem = ""
        for _ in 0..<3 {
            let directory = NSTemporaryDirectory() + "flotilla-etcd-cluster-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let ports = try LoopbackPorts.free(size * 2)
            let names = (1...size).map { "member\($0)" }
            let initial = names.enumerated().map { "\($1)=http://127.0.0.1:\(ports[$0 * 2 + 1])" }.joined(separator: ",")
            var members: [Member] = []
            for (index, name) in names.enumerated() {
                let client = ports[index * 2], peer = ports[index * 2 + 1]
                let arguments = [
                    "--name", name, "--data-dir", "\(directory)/\(name)",
                    "--listen-client-urls", "http://127.0.0.1:\(client)", "--advertise-client-urls", "http://127.0.0.1:\(client)",
                    "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)",
                    "--initial-cluster", initial, "--initial-cluster-state", "new",
                    "--initial-cluster-token", (directory as NSString).lastPathComponent,
                    "--heartbeat-interval", "100", "--election-timeout", "1000",
                ]
                let process = try ChildProcess.spawn(etcdPath, arguments, logPath: "\(directory)/\(name).log")
                members.append(Member(name: name, clientPort: client, peerPort: peer, process: process))
            }
            let cluster = EtcdCluster(directory: directory, members: members)
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

    /// True when an `etcd` binary is installed.
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: etcdPath) }

    /// Puts a key through every member until all three accept it (or 30 s pass, or a member exits).
    private func waitUntilWritable() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        for member in members {
            let client = try EtcdStore(endpoints: ["127.0.0.1:\(member.clientPort)"])
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
