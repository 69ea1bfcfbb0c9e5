import FlotillaTesting
import FlotillaAPI
import FlotillaEtcd
import FlotillaModel
import Foundation
import Glibc
import Synchronization

/// Several real `flotilla agent` processes on loopback sharing one store: agent 1 serves the
/// embedded store and the others join it, or every agent is a client of the suite's etcd
/// cluster (with a key prefix of its own, through `--config`). Agent 1 bootstraps the cluster
/// (its CA, an admin token, the client config at ``clientConfig``); the others join through
/// its API with its join token, as on real machines. Every API call and CLI run uses HTTPS
/// and the admin token.
///
/// ``with(_:agents:ttl:name:_:)`` stops every agent and every unit process it started, also
/// when the body fails, and then prints the agents' log tails.
final class TestCluster: Sendable {
    let kind: StoreKind
    /// Temp directory: state dirs, logs, spec files, scripts, observer files.
    let directory: String
    /// Membership lease TTL of every agent, seconds.
    let ttl: Int
    private let name: String
    private let storeEndpoints: [String]
    private let config: String?
    private let etcd: EtcdCluster?
    /// More flags every agent gets.
    private let agentArguments: [String]
    private let started = Mutex<[AgentProcess]>([])
    /// The flags each agent was added with, by index (a restart gives them again).
    private let ownArguments = Mutex<[Int: [String]]>([:])

    private init(kind: StoreKind, name: String, directory: String, ttl: Int, storeEndpoints: [String], config: String?,
                 etcd: EtcdCluster?, agentArguments: [String]) {
        self.kind = kind; self.name = name; self.directory = directory; self.ttl = ttl
        self.storeEndpoints = storeEndpoints; self.config = config; self.etcd = etcd; self.agentArguments = agentArguments
    }

    /// The client config agent 1 writes (every agent and CLI run gets `FLOTILLA_CONFIG` = it).
    var clientConfig: String { directory + "/client.yaml" }
    private var environment: [String: String] { ["FLOTILLA_CONFIG": clientConfig] }

    /// Every agent started so far, in start order (also killed ones).
    var agents: [AgentProcess] { started.withLock { $0 } }

    /// A client of the cluster's store (agent 1's embedded store, or the etcd cluster); the
    /// caller closes it.
    func storeClient() throws -> EtcdStore {
        if let etcd { return try EtcdStore.running(configuration: .init(endpoints: etcd.endpoints, transportSecurity: etcd.tls.clientSecurity)) }
        // The embedded store takes only certificates of the cluster CA: agent 1's own.
        let tls = agents[0].stateDirectory + "/tls/"
        let client = try EtcdTLS.files(ca: tls + "ca.crt", certificate: tls + "client.crt", key: tls + "client.key")
        return try EtcdStore.running(configuration: .init(endpoints: [agents[0].storeAddress ?? ""], transportSecurity: client.clientSecurity))
    }

    /// Runs `body` on a cluster of `agents` agents; cleans up whatever happens.
    static func with<T>(_ kind: StoreKind, agents count: Int, ttl: Int = 3, name: String, agentArguments: [String] = [],
                        _ body: (TestCluster) async throws -> T) async throws -> T {
        let directory = NSTemporaryDirectory() + "flotilla-cluster-\(name)-\(kind.rawValue)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var etcd: EtcdCluster?
        var ownEtcd: EtcdCluster?
        var config: String?
        if kind == .etcd {
            if let shared = SharedEtcd.current { etcd = try await shared.get() } else {
                ownEtcd = try await EtcdCluster.start()
                etcd = ownEtcd
            }
            config = directory + "/agent.yaml"
            try Data("prefix: /cluster-test-\(UUID().uuidString.prefix(8).lowercased())/\n".utf8).write(to: URL(fileURLWithPath: config!))
        }
        // etcd checks client certificates: every agent gets the test PKI's (--store-cacert…).
        let cluster = TestCluster(kind: kind, name: name, directory: directory, ttl: ttl,
                                  storeEndpoints: etcd?.endpoints ?? [], config: config, etcd: etcd,
                                  agentArguments: agentArguments + (etcd?.agentArguments ?? []))
        let result = await Result {
            for _ in 0..<count { _ = try await cluster.addAgent() }
            if count > 0 { try await cluster.waitForMachines(count) }
            return try await body(cluster)
        }
        cluster.shutdown(failed: (try? result.get()) == nil)
        ownEtcd?.stop()
        return try result.get()
    }

    /// Starts one more agent with metadata `machine=<its index>` and a test-unique
    /// `--machine-id`: 32 hex digits for the even ones (as /etc/machine-id holds, which a new
    /// agent would take otherwise: every agent here shares one host), a readable one for the others.
    func addAgent(extraMetadata: [String] = [], extraArguments: [String] = [], machineID given: String? = nil) async throws -> AgentProcess {
        let index = agents.count + 1
        let machineID = given ?? (index % 2 == 0 ? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            : "t\(UUID().uuidString.prefix(8).lowercased())-m\(index)")
        var join: [String] = []
        if index > 1 {
            // Joiners learn the embedded store's address from the join.
            let token = try String(contentsOfFile: agents[0].stateDirectory + "/join.token", encoding: .utf8)
            join = ["--join", agents[0].api, "--join-token", token.trimmingCharacters(in: .whitespacesAndNewlines)]
        }
        let agent = try await AgentProcess.start(index: index, directory: directory, machineID: machineID, store: storeEndpoints,
                                                 ttl: ttl, config: config, extraMetadata: extraMetadata,
                                                 extraArguments: agentArguments + extraArguments + join, environment: environment)
        started.withLock { $0.append(agent) }
        ownArguments.withLock { $0[index] = extraArguments }
        return agent
    }

    /// Starts a killed agent again with its state directory, machine ID and metadata; it adopts
    /// what it left behind. It takes the old agent's place in ``agents``.
    @discardableResult
    func restart(_ old: AgentProcess) async throws -> AgentProcess {
        // A joined agent finds its store in its state directory (joined.json).
        let agent = try await AgentProcess.start(index: old.index, directory: directory, machineID: old.machineID, store: storeEndpoints,
                                                 ttl: ttl, config: config,
                                                 extraArguments: agentArguments + ownArguments.withLock { $0[old.index] ?? [] }, environment: environment,
                                                 logSuffix: "-restart-\(UUID().uuidString.prefix(6))")
        started.withLock { $0[old.index - 1] = agent }
        return agent
    }

    /// Makes the store unreachable for `duration`, then lets it go on: SIGSTOP to agent 1 (it
    /// serves the embedded store) or to every etcd member, SIGCONT after. The processes are
    /// continued also when the wait is cancelled.
    func freezeStore(for duration: Duration) async {
        let processes = kind == .embedded ? [agents[0].process] : (etcd?.members.map(\.process) ?? [])
        for process in processes { process.signal(SIGSTOP) }
        try? await Task.sleep(for: duration)
        for process in processes { process.signal(SIGCONT) }
    }

    /// The agent whose metadata is `machine=<index>`.
    func agent(_ index: Int) -> AgentProcess { agents[index - 1] }

    /// The agent with machine ID `id`.
    func agent(machine id: String) throws -> AgentProcess {
        guard let agent = agents.first(where: { $0.machineID == id }) else { throw ClusterTestError("no agent has machine ID \(id)") }
        return agent
    }

    /// The cluster's CA and agent 1's admin token.
    func credentials() throws -> APICredentials {
        try APICredentials.files(ca: agents[0].stateDirectory + "/tls/ca.crt", token: agents[0].stateDirectory + "/admin.token")
    }

    /// An API client of the first agent that still runs.
    func client() throws -> APIClient {
        guard let agent = agents.first(where: { $0.process.exitStatus == nil }) else { throw ClusterTestError("no agent runs") }
        return try client(of: agent, timeout: 5)
    }

    /// An API client of `agent`.
    func client(of agent: AgentProcess, timeout: TimeInterval) throws -> APIClient {
        try APIClient(endpoint: agent.api, credentials: credentials(), timeout: timeout)
    }

    /// Runs `flotilla ARGS --endpoint <first running agent>` with the client config agent 1 wrote.
    func cli(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> CLIResult {
        guard let agent = agents.first(where: { $0.process.exitStatus == nil }) else { throw ClusterTestError("no agent runs") }
        return try await FlotillaCLI.run(arguments + ["--endpoint", agent.api], in: directory, environment: environment, timeout: timeout)
    }

    /// Writes `text` to a file in the cluster's directory and returns its path.
    @discardableResult
    func write(_ file: String, _ text: String, executable: Bool = false) throws -> String {
        let path = directory + "/" + file
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        if executable { chmod(path, 0o755) }
        return path
    }

    /// Waits until `count` machines are registered and alive.
    func waitForMachines(_ count: Int) async throws {
        try await eventually("\(count) machines alive", timeout: .seconds(30)) {
            let alive = try await self.client().machines().machines.filter { $0.state == "alive" }.count
            return alive >= count ? true : nil
        }
    }

    /// SIGKILLs an agent alone: its units and its fence watchdog keep running, as after an
    /// agent crash. Returns when it was killed.
    func killAgent(_ agent: AgentProcess) -> ContinuousClock.Instant {
        let at = ContinuousClock.now
        agent.process.signal(SIGKILL)
        agent.process.waitForExit(timeout: .seconds(10))
        return at
    }

    /// SIGKILLs `agent`, its fence watchdog and then every process of its units: the machine is
    /// gone. Returns when it happened.
    @discardableResult
    func killMachine(_ agent: AgentProcess) -> ContinuousClock.Instant {
        let at = ContinuousClock.now
        agent.process.signal(SIGKILL)
        UnitProcesses.killWatchdogs(machines: [agent.machineID])
        UnitProcesses.killAll(machines: [agent.machineID])
        agent.process.waitForExit(timeout: .seconds(10))
        return at
    }

    /// The last lines of every agent's log (and of the etcd members' logs when they ended badly).
    func logTails(_ lines: Int = 30) -> String {
        var text = agents.map { "--- agent \($0.index) (\($0.machineID)) log:\n\($0.process.logTail(lines))" }
        if let etcd, etcd.members.contains(where: { $0.process.exitStatus != nil }) { text.append(etcd.logTails()) }
        return text.joined(separator: "\n")
    }

    /// Kills every agent, then every unit process of their machines; removes the directory
    /// unless the run failed (it then prints where it is and the log tails).
    private func shutdown(failed: Bool) {
        let all = agents
        for agent in all { agent.process.killAndReap() }
        UnitProcesses.killWatchdogs(machines: Set(all.map(\.machineID)))
        UnitProcesses.killAll(machines: Set(all.map(\.machineID)))
        for agent in all { UnitProcesses.removeRecordedCgroups(stateDirectory: agent.stateDirectory) }
        if failed {
            print("cluster test \(name) [\(kind.rawValue)] failed; files kept in \(directory)\n\(logTails())")
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

/// Polls `probe` every `interval` until it returns a value, or throws after `timeout` with
/// `what` and the last error the probe threw.
@discardableResult
func eventually<T>(_ what: @autoclosure () -> String, timeout: Duration, interval: Duration = .milliseconds(100),
                   _ probe: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    while true {
        do {
            if let value = try await probe() { return value }
            lastError = nil
        } catch {
            lastError = error
        }
        guard ContinuousClock.now < deadline else {
            throw ClusterTestError("timed out after \(timeout) waiting for \(what())" + (lastError.map { " (last error: \($0))" } ?? ""))
        }
        try await Task.sleep(for: interval)
    }
}
