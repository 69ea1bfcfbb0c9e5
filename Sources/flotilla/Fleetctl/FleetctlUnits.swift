import ArgumentParser
import FlotillaAPI
import FlotillaModel

/// What submit, load and start share: submitting local files that the cluster does not have.
struct FleetSubmission {
    let client: APIClient
    let units: [FleetUnitName]
    let replace: Bool

    /// Submits (with `desired`) every unit the cluster lacks, or all with `replace`; returns
    /// the names already there (not resubmitted) and the spec revision of each submitted one.
    func submit(desired: DesiredState) async throws -> (existing: [String], revisions: [String: Int64]) {
        var existing: [String] = []
        var missing: [FleetUnitName] = []
        for unit in units {
            if !replace, (try? await client.stack(unit.name)) != nil {
                existing.append(unit.name)
                continue
            }
            guard unit.localPath != nil else {
                if (try? await client.stack(unit.name)) != nil { existing.append(unit.name); continue }
                printError("error: unit \(unit.name) is not in the cluster and there is no file \(unit.argument) (or its template) here to submit")
                throw ExitCode(1)
            }
            missing.append(unit)
        }
        guard !missing.isEmpty else { return (existing, [:]) }
        let bundle = SpecBundle.read(paths: missing.compactMap(\.localPath))
        let applied = try await calling { try await client.apply(bundle.applyRequest(desired: desired)) }
        return (existing, applied.specRevisions)
    }

    /// Waits for the units to reach `desired` and prints fleet's line per unit, or why not.
    /// `revisions` holds each unit's spec revision to wait for.
    func block(desired: DesiredState, revisions: [String: Int64], timeout: Double) async throws {
        let rollout = Rollout(revisions: revisions)
        let ending = try await RolloutWaiter(client: client, rollout: rollout, timeout: timeout, say: { _ in }).wait()
        if case .ready(let state) = ending {
            let machines = try await calling { try await client.machines() }
            for instance in state.instances {
                print("Unit \(instance.instance) \(desired.rawValue) on \(FleetColumns.machine(instance.machine, machines: machines, full: false))")
            }
        }
        try await RolloutReport(client: client).fail(ending, timeout: timeout)
    }
}

/// Flags of the verbs that can wait.
struct FleetBlockOptions: ParsableArguments {
    @Flag(name: .customLong("no-block"), help: "Do not wait for the units to reach the state.")
    var noBlock = false

    @Option(name: .long, help: "How long to wait (90, 90s, 2m).")
    var timeout: Seconds = Seconds(120)
}

/// `fleetctl submit UNIT...`: stored, desired `inactive`.
struct FleetctlSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit", abstract: "Store unit files without placing them (inactive).")
    @Argument(help: "Unit files.") var units: [String]
    @Flag(name: .long, help: "Replace units the cluster already has.") var replace = false
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let names = units.map(FleetUnitName.init)
        _ = try await FleetSubmission(client: try api.client(), units: names, replace: replace).submit(desired: .inactive)
    }
}

/// `fleetctl load UNIT...`: submitted if needed, desired `loaded` (placed, not started).
struct FleetctlLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Place units on machines without starting them (loaded).")
    @Argument(help: "Unit files or names.") var units: [String]
    @Flag(name: .long, help: "Replace units the cluster already has.") var replace = false
    @OptionGroup var block: FleetBlockOptions
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        try await FleetDesired.set(units, to: .loaded, replace: replace, block: block, client: try api.client())
    }
}

/// `fleetctl start UNIT...`: submitted and loaded if needed, desired `launched`; waits until running.
struct FleetctlStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start units and wait until they really run.")
    @Argument(help: "Unit files or names.") var units: [String]
    @Flag(name: .long, help: "Replace units the cluster already has.") var replace = false
    @OptionGroup var block: FleetBlockOptions
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        try await FleetDesired.set(units, to: .launched, replace: replace, block: block, client: try api.client())
    }
}

/// load and start: submit what is missing, set the state of the rest, then wait.
enum FleetDesired {
    static func set(_ arguments: [String], to desired: DesiredState, replace: Bool, block: FleetBlockOptions, client: APIClient) async throws {
        let units = arguments.map(FleetUnitName.init)
        let submission = FleetSubmission(client: client, units: units, replace: replace)
        var (existing, revisions) = try await submission.submit(desired: desired)
        for name in existing {
            let change = try await calling { desired == .launched ? try await client.start(stack: name) : try await client.stop(stack: name) }
            revisions[name] = change.revision
        }
        if block.noBlock {
            for unit in units { print("Triggered unit \(unit.name) \(desired == .launched ? "start" : "load")") }
            return
        }
        try await submission.block(desired: desired, revisions: revisions, timeout: block.timeout.value)
    }
}

/// `fleetctl stop UNIT...`: desired `loaded`.
struct FleetctlStop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop units; they stay placed (loaded).")
    @Argument(help: "Unit names.") var units: [String]
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        for unit in units.map(FleetUnitName.init) {
            _ = try await calling { try await client.stop(stack: unit.name) }
            print("Unit \(unit.name) loaded")
        }
    }
}

/// `fleetctl unload UNIT...`: desired `inactive`.
struct FleetctlUnload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unload", abstract: "Unplace units; they stay stored (inactive).")
    @Argument(help: "Unit names.") var units: [String]
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        for unit in units.map(FleetUnitName.init) {
            _ = try await calling { try await client.unload(stack: unit.name) }
            print("Unit \(unit.name) inactive")
        }
    }
}

/// `fleetctl destroy UNIT...`: removed from the cluster.
struct FleetctlDestroy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "destroy", abstract: "Remove units from the cluster.")
    @Argument(help: "Unit names.") var units: [String]
    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        for unit in units.map(FleetUnitName.init) {
            _ = try await calling { try await client.destroy(stack: unit.name) }
            print("Destroyed \(unit.name)")
        }
    }
}
