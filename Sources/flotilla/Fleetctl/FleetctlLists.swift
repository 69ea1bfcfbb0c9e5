import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `fleetctl list-units`: UNIT MACHINE ACTIVE SUB for every unit an agent reported.
struct FleetctlListUnits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-units", abstract: "List units as their machines report them (UNIT MACHINE ACTIVE SUB).")
    @OptionGroup var list: FleetListOptions
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let status = try await calling { try await client.status() }
        let machines = try await calling { try await client.machines() }
        let unitFiles = Set(status.stacks.filter(\.isUnitFile).map(\.name))
        var rows: [[String]] = []
        for instance in status.instances {
            for unit in instance.units where unit.status != nil {
                let name = unitFiles.contains(instance.stack) ? instance.instance : "\(instance.instance)/\(unit.name)"
                let (active, sub) = FleetColumns.activeSub(unit.status, desired: instance.desired)
                rows.append([name, FleetColumns.machine(instance.machine, machines: machines, full: list.full), active, sub])
            }
        }
        try FleetColumns.print(["UNIT", "MACHINE", "ACTIVE", "SUB"], rows, options: list)
    }
}

/// `fleetctl list-unit-files`: UNIT HASH DSTATE STATE TARGET per stored unit (per instance).
struct FleetctlListUnitFiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-unit-files", abstract: "List stored units (UNIT HASH DSTATE STATE TARGET).")
    @OptionGroup var list: FleetListOptions
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let status = try await calling { try await client.status() }
        let machines = try await calling { try await client.machines() }
        var rows: [[String]] = []
        for stack in status.stacks {
            let record = try await calling { try await client.stack(stack.name) }.record
            let hash = FleetColumns.hash(record.unitFileText ?? String(decoding: RecordCodec.encode(record.spec), as: UTF8.self))
            let instances = status.instances.filter { $0.stack == stack.name }
            if instances.isEmpty {
                rows.append([stack.name, hash, stack.desired.rawValue, "inactive", "-"])
                continue
            }
            for instance in instances {
                rows.append([instance.instance, hash, stack.desired.rawValue, Self.state(instance),
                             instance.machine == nil ? "-" : FleetColumns.machine(instance.machine, machines: machines, full: list.full)])
            }
        }
        try FleetColumns.print(["UNIT", "HASH", "DSTATE", "STATE", "TARGET"], rows, options: list)
    }

    /// fleet's STATE: `inactive` until placed, `loaded` once placed, `launched` once every
    /// unit of the current assignment runs.
    static func state(_ instance: InstanceReport) -> String {
        guard instance.machine != nil else { return "inactive" }
        let running = !instance.units.isEmpty && instance.units.allSatisfy {
            $0.current && ($0.status?.state == .running || $0.status?.state == .exited)
        }
        return instance.desired == .launched && running ? "launched" : "loaded"
    }
}

/// `fleetctl list-machines`: MACHINE IP METADATA.
struct FleetctlListMachines: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-machines", abstract: "List machines (MACHINE IP METADATA).")
    @OptionGroup var list: FleetListOptions
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let machines = try await calling { try await client.machines() }
        let rows = machines.machines.filter { $0.record != nil }.map { machine -> [String] in
            let id = list.full || machine.id.count <= 8 ? machine.id : machine.id.prefix(8) + "..."
            let ip = machine.record.flatMap { URL(string: $0.apiURL)?.host } ?? "-"
            return [id, ip, machine.record.map { MachinesCommand.metadata($0.metadata) } ?? "-"]
        }
        try FleetColumns.print(["MACHINE", "IP", "METADATA"], rows, options: list)
    }
}
