import FlotillaTesting
import FlotillaEtcd
import FlotillaStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the interop tests run: our ``EtcdServer`` or a real etcd 3.4, each spoken to by our
/// ``EtcdStore`` client and by the real `etcdctl`.
enum InteropTarget: String, CaseIterable, Sendable {
    case flotilla, etcd

    /// Runs `body` with a client and the port etcdctl should use; stops everything afterwards.
    func withStore(_ body: (EtcdStore, Int) async throws -> Void) async throws {
        switch self {
        case .flotilla:
            try await withEtcdServer { client, port, _ in try await body(client, port) }
        case .etcd:
            let etcd = try RealEtcd.start()
            let client: EtcdStore
            do { client = try EtcdStore.running(endpoints: ["127.0.0.1:\(etcd.clientPort)"]) } catch {
                etcd.stop()
                throw error
            }
            do {
                let ready = try await pollUntil(20) { (try? await client.range(RangeRequest(key: "health".bytes))) != nil }
                guard ready else { throw RecipeTestTimeout(what: "real etcd answering", seconds: 20) }
                try await body(client, etcd.clientPort)
            } catch {
                await client.close()
                etcd.stop()
                throw error
            }
            await client.close()
            etcd.stop()
        }
    }
}

/// A long-running `etcdctl` (elect, lock) in the background, its output in a temp file.
final class BackgroundEtcdctl: @unchecked Sendable {
    private let process = Process()
    private let directory: URL
    private let outURL: URL

    init(port: Int, arguments: [String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("etcdctl-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        outURL = directory.appendingPathComponent("out")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["etcdctl", "--endpoints", "127.0.0.1:\(port)", "--dial-timeout", "3s"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["ETCDCTL_API": "3"]) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Everything it printed to stdout so far.
    var output: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }
    var status: Int32 { process.terminationStatus }

    /// SIGINT: etcdctl resigns or unlocks, then exits (it does the same on SIGTERM).
    func interrupt() { if process.isRunning { process.interrupt() } }

    /// Waits up to `seconds` for the process to exit; true when it did.
    func waitForExit(_ seconds: Double = 20) async throws -> Bool {
        try await pollUntil(seconds) { !process.isRunning }
    }

    /// Kills it if still running and removes its files.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` with `etcdctl ARGUMENTS` running in the background; always stops it.
func withBackgroundEtcdctl(port: Int, _ arguments: [String], _ body: (BackgroundEtcdctl) async throws -> Void) async throws {
    let background = try BackgroundEtcdctl(port: port, arguments: arguments)
    do {
        try await body(background)
    } catch {
        background.stop()
        throw error
    }
    background.stop()
}
