import Foundation
import FlotillaAgent

/// The agent's fence watchdog process (`flotilla fence-watchdog`, see `FenceWatchdog`): one
/// per agent, started with the node, sharing ``FenceFiles`` in the state directory.
final class FenceWatchdogProcess: Sendable {
    /// The files it reads.
    let files: FenceFiles
    private let process: Process

    private init(files: FenceFiles, process: Process) {
        self.files = files
        self.process = process
    }

    /// Starts `executable fence-watchdog --state-dir DIR --agent PID`; its output goes to the
    /// agent's standard error. `FLOTILLA_FENCE_WATCHDOG=<machine>` in its environment names it.
    static func start(executable: String, node: NodeConfiguration, machineID: String) throws -> FenceWatchdogProcess {
        let files = FenceFiles(stateDirectory: node.stateDirectory)
        // What an earlier agent listed stays: its own watchdog may still need it.
        try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["fence-watchdog", "--state-dir", node.stateDirectory, "--agent", String(getpid())]
        var environment = ProcessInfo.processInfo.environment
        environment["FLOTILLA_FENCE_WATCHDOG"] = machineID
        process.environment = environment
        process.standardError = FileHandle.standardError
        process.standardOutput = FileHandle.standardError
        do { try process.run() } catch {
            throw AgentError("cannot start the fence watchdog \(executable): \(error)")
        }
        return FenceWatchdogProcess(files: files, process: process)
    }

    /// Ends the watchdog (the units it guarded are down).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
