import Foundation
import Testing

/// The repository root, found from this file's path (Tests/FlotillaCLITests/…).
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// True when every tool is an executable on PATH.
func toolsInstalled(_ names: String...) -> Bool {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    return names.allSatisfy { name in path.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") } }
}

/// Runs an executable to completion with stdout and stderr going to temp files (no pipe can
/// fill up), and returns both and the exit status. Terminates the process if the calling
/// task is torn down by a thrown error before it exits.
func runToCompletion(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                         stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// `scripts/etcdctl-parity`: real etcdctl 3.4 prints the same against `flotilla store serve`
/// as against a fresh real etcd 3.4 (IDs, ports, timings and raft fields normalized), for
/// put/get/del/txn/watch/lease/compaction/status/health/member/lock/elect and the error cases.
/// `etcdctl check perf` is left to `scripts/bench-store` (a benchmark, release build).
@Suite(.enabled(if: toolsInstalled("etcd", "etcdctl", "python3"),
                "needs etcd and etcdctl 3.4 (apt-get install etcd-server etcd-client) and python3"))
struct EtcdctlParityTests {
    @Test func etcdctlPrintsTheSameAgainstFlotillaAsAgainstEtcd() throws {
        let script = repositoryRoot.appendingPathComponent("scripts/etcdctl-parity").path
        let result = try runToCompletion("/bin/bash", [script, "--flotilla", FlotillaBinary.url.path, "--skip-check-perf"])
        #expect(result.status == 0, """
            scripts/etcdctl-parity exited \(result.status); the diff (- etcd, + flotilla):
            \(result.stdout)
            \(result.stderr)
            """)
    }
}
