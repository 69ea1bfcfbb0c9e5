import Foundation
import Glibc

/// One real `flotilla agent` process on loopback with its own state directory, API port
/// (picked by the agent: `--listen 127.0.0.1:0`) and log file (its stdout and stderr).
final class AgentProcess: Sendable {
    /// 1-based position in the cluster; its metadata is `machine=<index>`.
    let index: Int
    let process: ChildProcess
    let machineID: String
    /// Base URL of its HTTP API.
    let api: String
    /// `127.0.0.1:PORT` of the embedded store it serves, if it serves one.
    let storeAddress: String?
    let stateDirectory: String

    private init(index: Int, process: ChildProcess, machineID: String, api: String, storeAddress: String?, stateDirectory: String) {
        self.index = index; self.process = process; self.machineID = machineID; self.api = api
        self.storeAddress = storeAddress; self.stateDirectory = stateDirectory
    }

    /// Starts `flotilla agent` and returns once it logged its machine ID and API URL.
    /// - Parameters:
    ///   - store: etcd endpoints to join; empty: serve the embedded store on a free port (or use
    ///     the store a `--join` in `extraArguments` answers).
    ///   - machineID: `--machine-id`; nil: the agent generates one.
    ///   - config: `--config FILE` (the tests use it for a per-test key prefix).
    ///   - extraArguments: more `flotilla agent` flags.
    ///   - logSuffix: added to the log file's name (a restarted agent logs to a new file).
    static func start(index: Int, directory: String, machineID: String?, store: [String], ttl: Int,
                      config: String?, extraMetadata: [String] = [], extraArguments: [String] = [],
                      environment: [String: String] = [:], logSuffix: String = "") async throws -> AgentProcess {
        let stateDirectory = "\(directory)/agent-\(index)"
        var arguments = ["agent", "--state-dir", stateDirectory, "--listen", "127.0.0.1:0",
                         "--metadata", "machine=\(index)", "--ttl", String(ttl)]
        for label in extraMetadata { arguments += ["--metadata", label] }
        if let machineID { arguments += ["--machine-id", machineID] }
        if let config { arguments += ["--config", config] }
        arguments += extraArguments
        arguments += store.isEmpty ? ["--store-listen", "127.0.0.1:0"] : ["--store", store.joined(separator: ",")]
        let process = try ChildProcess.spawn(FlotillaCLI.path, arguments, logPath: "\(directory)/agent-\(index)\(logSuffix).log",
                                             environment: environment)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let ready = Ready(log: process.log) {
                if let machineID, ready.machineID != machineID {
                    process.killAndReap()
                    throw ClusterTestError("agent \(index) reports machine \(ready.machineID), started with --machine-id \(machineID)")
                }
                return AgentProcess(index: index, process: process, machineID: ready.machineID, api: ready.api,
                                    storeAddress: ready.store, stateDirectory: stateDirectory)
            }
            if let code = process.exitStatus {
                throw ClusterTestError("agent \(index) exited with \(code) while starting:\n\(process.logTail())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.killAndReap()
        throw ClusterTestError("agent \(index) did not report ready within 30 s:\n\(process.logTail())")
    }

    /// What an agent logs once it listens: `flotilla agent: machine ID, API URL, store …`
    /// (stderr, written at once) or `flotilla agent: machine ID ready; API URL, store HOST:PORT`.
    private struct Ready {
        var machineID: String
        var api: String
        var store: String?

        init?(log: String) {
            guard let line = log.split(separator: "\n").first(where: { $0.contains("flotilla agent: machine ") && $0.contains("API https") }),
                  let id = Self.capture(#"machine ([a-z0-9_-]+)"#, in: line),
                  let api = Self.capture(#"API (https://[0-9.]+:[0-9]+)"#, in: line) else { return nil }
            machineID = id
            self.api = api
            store = Self.capture(#"served on ([0-9.]+:[0-9]+)"#, in: line) ?? Self.capture(#"store ([0-9.]+:[0-9]+)"#, in: line)
        }

        static func capture(_ pattern: String, in line: Substring) -> String? {
            guard let regex = try? Regex(pattern), let match = try? regex.firstMatch(in: line),
                  let group = match.output[1].substring else { return nil }
            return String(group)
        }
    }
}
