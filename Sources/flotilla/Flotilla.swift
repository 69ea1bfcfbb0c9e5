import ArgumentParser
import FlotillaModel

/// The `flotilla` command: one binary for every role and every verb.
@main
struct Flotilla: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flotilla",
        abstract: "Run services across a set of Linux machines as one cluster.",
        discussion: """
            Spec files are YAML stack files (.yaml, .yml; see docs/stack-format.md) or fleet unit \
            files (.service, .timer; see docs/fleet-units.md).
            """,
        version: FlotillaVersion.current,
        subcommands: [ValidateCommand.self, PlanCommand.self, StoreCommand.self, AgentCommand.self, DevCommand.self,
                      ApplyCommand.self, StatusCommand.self, MachinesCommand.self, MachineCommand.self, LogsCommand.self, StartCommand.self,
                      StopCommand.self, DestroyCommand.self, HistoryCommand.self, RollbackCommand.self, PromoteCommand.self,
                      EventsCommand.self, TokenCommand.self, RebootCommand.self, FleetctlCommand.self,
                      FenceWatchdogCommand.self]
    )
}
