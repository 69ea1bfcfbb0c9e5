import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `fleetctl cat UNIT`: the stored unit file.
struct FleetctlCat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cat", abstract: "Print a stored unit file.")
    @Argument(help: "Unit name.") var unit: String
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let name = FleetUnitName(unit).name
        let stack = try await calling { try await client.stack(name) }
        guard let text = stack.record.unitFileText else {
            printError("error: \(name) is a YAML stack, not a unit file (from \(stack.record.sources.joined(separator: ", "))); flotilla status \(name) shows its units")
            throw ExitCode(1)
        }
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
    }
}

/// `fleetctl status UNIT...`: systemctl-status-like lines and the last journal lines.
struct FleetctlStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a unit's state, process and last log lines.")
    @Argument(help: "Unit names (INSTANCE/UNIT for YAML stacks).") var units: [String]
    @Option(name: .long, help: "Journal lines to show.") var lines: Int = 10
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let status = try await calling { try await client.status() }
        for (index, argument) in units.enumerated() {
            if index > 0 { print("") }
            let (instanceName, unitName) = FleetUnitName.instanceAndUnit(argument)
            guard let instance = status.instances.first(where: { $0.instance == instanceName }) else {
                printError("error: unit \(instanceName) is not placed on any machine (flotilla status shows why)")
                throw ExitCode(1)
            }
            guard let unit = instance.units.first(where: { $0.name == (unitName ?? instanceName) }) ?? (unitName == nil ? instance.units.first : nil) else {
                printError("error: \(instanceName) has no unit \(unitName ?? instanceName); its units: \(instance.units.map(\.name).joined(separator: ", "))")
                throw ExitCode(1)
            }
            let (active, sub) = FleetColumns.activeSub(unit.status, desired: instance.desired)
            let since = unit.status.map { " since \(EventsCommand.time($0.since)); \(ago($0.since))" } ?? ""
            print("● \(argument)")
            print("   Loaded: \(instance.machine == nil ? "not-found" : "loaded") (desired \(instance.desired.rawValue), spec revision \(instance.specRevision.map(String.init) ?? "-"))")
            print("   Active: \(active) (\(sub))\(since)")
            if let pid = unit.status?.pid { print(" Main PID: \(pid)") }
            print("  Machine: \(instance.machine ?? "-")")
            if let status = unit.status {
                print(" Restarts: \(status.restarts), last exit: \(lastExit(status))")
                if let error = status.lastError { print("    Error: \(error)") }
                if let warning = status.warning { print("  Warning: \(warning)") }
            }
            if instance.machine != nil, lines > 0, let chunk = try? await client.logs(instance: instance.instance, unit: unit.name, last: lines) {
                print("")
                for line in chunk.lines { print(line) }
            }
        }
    }
}

/// `fleetctl journal [-f] UNIT`: the unit's journal.
struct FleetctlJournal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "journal", abstract: "Print a unit's journal; -f keeps following.")
    @Argument(help: "Unit name (INSTANCE/UNIT for YAML stacks).") var unit: String
    @Option(name: .long, help: "How many of the last lines to print.") var lines: Int = 10
    @Flag(name: .shortAndLong, help: "Keep printing new lines.") var follow = false
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let (instance, unitName) = FleetUnitName.instanceAndUnit(unit)
        let resolved = try await calling { try await LogsCommand.resolve(unitName.map { "\(instance)/\($0)" } ?? instance, client: client) }
        try await LogsCommand.stream(client: client, instance: resolved.0, unit: resolved.1, last: lines, follow: follow)
    }
}
