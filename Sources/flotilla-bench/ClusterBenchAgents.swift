import FlotillaAPI
import FlotillaModel
import Foundation

/// Real `flotilla agent` processes on loopback for the cluster benchmark: agent 1 serves the
/// embedded store, the others join it.
final class BenchAgents {
    struct Agent {
        var index: Int
        var stateDirectory: String
        var apiPort: Int
        var process: Process?
        var api: String { "https://127.0.0.1:\(apiPort)" }
    }

    let binary: URL
    let root: String
    let storePort: Int
    let ttl: Int
    private(set) var agents: [Agent] = []

    init(count: Int, ttl: Int, basePort: Int) throws {
        binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flotilla")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchError("no flotilla binary next to flotilla-bench at \(binary.path); build both: swift build -c release --product flotilla")
        }
        root = NSTemporaryDirectory() + "flotilla-bench-cluster-\(getpid())"
        storePort = basePort
        self.ttl = ttl
        for k in 1...count {
            agents.append(Agent(index: k, stateDirectory: "\(root)/machine-\(k)", apiPort: basePort + k))
        }
    }

    /// Starts agent `k` (1-based) — again, after a kill, with the same state directory.
    func start(_ k: Int) throws {
        var arguments = ["agent", "--state-dir", agents[k - 1].stateDirectory, "--listen", "127.0.0.1:\(agents[k - 1].apiPort)",
                         "--metadata", "machine=\(k)", "--ttl", String(ttl),
                         "--machine-id", "bench-m\(k)"]
        arguments += k == 1 ? ["--store-listen", "127.0.0.1:\(storePort)"] : ["--store", "https://127.0.0.1:\(storePort)"]
        if k > 1, !FileManager.default.fileExists(atPath: agents[k - 1].stateDirectory + "/tls") {
            arguments += ["--join", agents[0].api, "--join-token", try joinToken()]
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let log = "\(root)/agent-\(k).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        agents[k - 1].process = process
    }

    /// Agent 1's join token, once it has bootstrapped the cluster (waits up to 30 s).
    private func joinToken() throws -> String {
        let path = agents[0].stateDirectory + "/join.token"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
            usleep(20_000)
        }
        throw BenchError("agent 1 wrote no join token (\(path)) within 30 s; logs in \(root)")
    }

    /// Agent 1's CA and admin token.
    func credentials() throws -> APICredentials {
        try APICredentials.files(ca: agents[0].stateDirectory + "/tls/ca.crt", token: agents[0].stateDirectory + "/admin.token")
    }

    /// SIGKILLs agent `k` and every unit it runs (their pids from the status records).
    func kill(_ k: Int, unitPIDs: [Int32]) {
        guard let process = agents[k - 1].process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        for pid in unitPIDs { Foundation.kill(-pid, SIGKILL); Foundation.kill(pid, SIGKILL) }
        process.waitUntilExit()
        agents[k - 1].process = nil
    }

    /// The agent's process ID.
    func pid(_ k: Int) -> Int32? { agents[k - 1].process?.processIdentifier }

    /// Stops every agent (SIGTERM, then SIGKILL) and removes the state.
    func stopAll() {
        for agent in agents.reversed() {
            guard let process = agent.process, process.isRunning else { continue }
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Waits until `count` machines are alive, as the API of agent 1 reports.
    func waitForMachines(_ count: Int, timeout: Double = 30) async throws {
        let client = try APIClient(endpoint: agents[0].api, credentials: try credentials())
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let report = try? await client.machines(), report.machines.filter({ $0.state == "alive" }).count >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("\(count) machines did not register within \(Int(timeout)) s; logs in \(root)")
    }
}

/// A benchmark that could not run, with the reason.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Resident set size of a process in bytes (`field` of /proc/PID/status: VmRSS, or its parts
/// RssAnon — private memory — and RssFile — mapped code and libraries), nil when unreadable.
func residentBytes(of pid: Int32, field: String = "VmRSS") -> Int64? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count >= 2, let kib = Int64(parts[1]) { return kib * 1024 }
    }
    return nil
}

/// Percentile (0…1) of sorted samples.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))
    return sorted[index]
}
