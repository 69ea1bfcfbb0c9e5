import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `flotilla fleetctl VERB`: fleetctl's verbs and columns, for users coming from fleet. A fleet
/// unit file is a stack named after the file (`web@1.service`); YAML units are named
/// `INSTANCE/UNIT` (`lamp@1/mysql`).
struct FleetctlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleetctl",
        abstract: "fleetctl's verbs (submit, load, start, stop, unload, destroy, list-units, list-unit-files, list-machines, cat, status, journal).",
        discussion: """
            Unlike fleet, start waits until the unit really runs and says why not (exit 1 when a unit \
            fails, 2 when it is unplaced); --no-block returns at once.
            """,
        subcommands: [
            FleetctlSubmit.self, FleetctlLoad.self, FleetctlStart.self, FleetctlStop.self, FleetctlUnload.self,
            FleetctlDestroy.self, FleetctlListUnits.self, FleetctlListUnitFiles.self, FleetctlListMachines.self,
            FleetctlCat.self, FleetctlStatus.self, FleetctlJournal.self,
        ]
    )
}

/// A unit named on fleetctl's command line.
struct FleetUnitName {
    /// As typed.
    var argument: String
    /// The stack name: the file name, with `.service` added when it has no unit suffix.
    var name: String
    /// The local file to submit, when it (or its template) exists.
    var localPath: String?

    init(_ argument: String) {
        self.argument = argument
        var path = argument
        if !(path.hasSuffix(".service") || path.hasSuffix(".timer")) { path += ".service" }
        name = String(path.split(separator: "/").last ?? Substring(path))
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            localPath = path
        } else if let unit = UnitName(name), let template = unit.templateName,
                  manager.fileExists(atPath: String(path.dropLast(name.count)) + template) {
            localPath = path
        }
    }

    /// For the status verbs: `INSTANCE/UNIT` of a YAML stack, else the unit file's stack
    /// (its instance and its unit share the name).
    static func instanceAndUnit(_ argument: String) -> (instance: String, unit: String?) {
        if let slash = argument.firstIndex(of: "/"), !argument.hasSuffix(".service"), !argument.hasSuffix(".timer") {
            return (String(argument[..<slash]), String(argument[argument.index(after: slash)...]))
        }
        let name = FleetUnitName(argument).name
        return (name, nil)
    }
}

/// Columns and short forms shared by the list verbs.
enum FleetColumns {
    /// `1a2b3c4d.../10.0.0.1`, or the full ID with `--full`.
    static func machine(_ id: String?, machines: MachinesReport, full: Bool) -> String {
        guard let id else { return "-" }
        let ip = machines.machines.first { $0.id == id }?.record.flatMap { URL(string: $0.apiURL)?.host } ?? "-"
        return (full || id.count <= 8 ? id : id.prefix(8) + "...") + "/" + ip
    }

    /// systemd's ACTIVE and SUB for a unit state.
    static func activeSub(_ status: UnitStatus?, desired: DesiredState) -> (String, String) {
        guard let status else { return ("inactive", "dead") }
        switch status.state {
        case .pending: return ("inactive", "dead")
        case .starting: return ("activating", "start")
        case .running: return ("active", "running")
        case .restarting: return ("activating", "auto-restart")
        case .stopping: return ("deactivating", "stop-sigterm")
        case .exited: return desired == .launched ? ("active", "exited") : ("inactive", "dead")
        case .failed: return ("failed", "failed")
        }
    }

    /// A short content hash (fleet showed 7 hex digits of the unit's SHA-1; this is FNV-1a).
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(String(value, radix: 16).prefix(7))
    }

    /// Tab-separated like fleetctl, header unless `--no-legend`; with `-o json|yaml` a list
    /// of objects keyed by the lower-cased column names.
    static func print(_ header: [String], _ rows: [[String]], options: FleetListOptions) throws {
        guard options.output == .table else {
            let keys = header.map { $0.lowercased() }
            try options.output.print(rows.map { Dictionary(uniqueKeysWithValues: zip(keys, $0)) })
            return
        }
        if !options.noLegend { Swift.print(header.joined(separator: "\t")) }
        for row in rows { Swift.print(row.joined(separator: "\t")) }
    }
}

/// fleetctl's list flags.
struct FleetListOptions: ParsableArguments {
    @Flag(name: [.short, .customLong("full")], help: "Do not shorten machine IDs.")
    var full = false

    @Flag(name: .customLong("no-legend"), help: "Do not print the header line.")
    var noLegend = false

    @Option(name: .shortAndLong, help: "Output format: table (fleetctl's columns), json or yaml.")
    var output: OutputFormat = .table
}
