import Foundation
import FlotillaAgent
import Logging
import ServiceLifecycle

/// The agent's fence watchdog process (`flotilla fence-watchdog`, see `FenceWatchdog`): one
/// per agent, sharing ``FenceFiles`` in the state directory.
///
/// A `Service` first in the node's group: started before the node's services run, it outlives
/// them. When the node stopped its units (`flotilla dev`) nothing is left to guard and the
/// watchdog is ended; otherwise it keeps guarding the units left running until the next agent
/// renews a lease or this one's deadline passes, then ends by itself.
final class FenceWatchdogProcess: Service {
    /// The files it reads.
    let files: FenceFiles
    private let process: Process
    private let stopsWithNode: Bool
    private let logger: Logger

    /// A watchdog for the node `node` configures; it runs `executable fence-watchdog
    /// --state-dir DIR --agent PID` once ``start()`` is called, its output going to the
    /// agent's standard error. `FLOTILLA_FENCE_WATCHDOG=<machine>` in its environment names it.
    init(executable: String, node: NodeConfiguration, machineID: String, logger: Logger) {
        files = FenceFiles(stateDirectory: node.stateDirectory)
        stopsWithNode = node.stopsUnitsOnShutdown
        self.logger = logger
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["fence-watchdog", "--state-dir", node.stateDirectory, "--agent", String(getpid()),
                             "--log-level", "\(logger.logLevel)"]
        var environment = ProcessInfo.processInfo.environment
        environment["FLOTILLA_FENCE_WATCHDOG"] = machineID
        process.environment = environment
        process.standardError = FileHandle.standardError
        process.standardOutput = FileHandle.standardError
    }

    /// Starts the process (before any unit can start).
    func start() throws {
        // What an earlier agent listed stays: its own watchdog may still need it.
        try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        do { try process.run() } catch {
            throw AgentError("cannot start the fence watchdog \(process.executableURL?.path ?? ""): \(error)")
        }
    }

    /// Waits for the node's shutdown; then ends the watchdog if the units are down.
    func run() async {
        try? await gracefulShutdown()
        guard stopsWithNode, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        logger.debug("fence watchdog stopped")
    }
}
