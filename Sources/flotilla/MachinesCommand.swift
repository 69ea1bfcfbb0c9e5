import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `flotilla machines`: every machine with its labels, capacity, usage and load.
struct MachinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machines",
        abstract: "Show every machine: metadata, CPU and memory in use, load, units, whether it is alive or down (since when), and whether it is cordoned or draining.",
        discussion: "A machine whose lease expired stays listed as down, with when the controller found it gone, until it registers again or 'flotilla machine forget ID' removes it."
    )

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let report = try await calling { try await client.machines() }
        guard output == .table else { return try output.print(report) }
        print(Self.text(report))
    }

    /// CPU is cores busy / cores; MEMORY used / installed; UNITS running / assigned.
    static func text(_ report: MachinesReport) -> String {
        guard !report.machines.isEmpty else { return "no machines: start an agent with flotilla agent" }
        var table = Table(header: ["MACHINE", "HOSTNAME", "METADATA", "CPU", "MEMORY", "LOAD", "UNITS", "STATE"])
        for machine in report.machines {
            let record = machine.record, usage = machine.usage
            let cpu = record.map { r in "\(usage.map { String(format: "%.1f", $0.cpuBusy) } ?? "-")/\(Quantity.formatCPU(r.capacity.cpu))" } ?? "-"
            let memory = usage.map { "\(Quantity.formatBytes($0.memoryUsed))/\(Quantity.formatBytes($0.memoryTotal))" }
                ?? record.map { "-/\(Quantity.formatBytes($0.capacity.memory))" } ?? "-"
            table.rows.append([machine.id, record?.hostname ?? "-", record.map { metadata($0.metadata) } ?? "-", cpu, memory,
                               usage.map { String(format: "%.2f", $0.load1) } ?? "-",
                               "\(usage.map { String($0.unitsRunning) } ?? "-")/\(machine.units)",
                               machine.state + (machine.downSince.map { " since \(ago($0))" } ?? "")
                                   + (machine.cordon.map { ", \($0)" } ?? "")])
        }
        return table.render()
    }

    /// `disk=ssd,region=eu` (`-` when none).
    static func metadata(_ metadata: Metadata) -> String {
        let pairs = metadata.keys.flatMap { key in metadata[key].map { "\(key)=\($0)" } }
        return pairs.isEmpty ? "-" : pairs.joined(separator: ",")
    }
}
