import ArgumentParser
import FlotillaAgent
import FlotillaNode
import Foundation
import Glibc
import Logging

/// `flotilla fence-watchdog`: started by the agent, never by hand (see `FenceWatchdog`).
struct FenceWatchdogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fence-watchdog",
        abstract: "Kill the agent's exclusive units when it stops renewing its lease (started by the agent).",
        shouldDisplay: false
    )

    @Option(help: "The agent's state directory.")
    var stateDir: String

    @Option(help: "The agent's process ID (this process's parent).")
    var agent: Int32

    @Option(name: .customLong("log-level"), help: "Least severe messages logged (the agent passes its own).")
    var logLevel: Logger.Level = .info

    func run() throws {
        // Ctrl-C in the agent's terminal and a hang-up reach the whole process group: the
        // watchdog outlives them to guard units the agent leaves running.
        signal(SIGINT, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        guard getppid() == agent else {
            throw ValidationError("fence-watchdog: --agent \(agent) is not this process's parent; it is started by `flotilla agent`")
        }
        LogLineHandler.bootstrap(format: .text, level: logLevel)
        FenceWatchdog(files: FenceFiles(stateDirectory: stateDir), agent: agent, logger: Logger(label: "flotilla.fence-watchdog")).run()
    }
}
