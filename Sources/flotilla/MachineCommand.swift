import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `flotilla machine cordon|uncordon|drain ID`: take a machine out of service and back.
struct MachineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machine",
        abstract: "Cordon, drain or uncordon a machine.",
        discussion: """
            cordon: no new instances go to the machine; the ones there stay. drain: cordon, then \
            every instance there moves elsewhere (an exclusive one stops before it starts \
            elsewhere); a global stack's instance stays, it belongs to the machine. uncordon: \
            back in service. ID is a machine ID or the start of exactly one; --self names the \
            machine of the agent the command talks to (--endpoint, by default this machine's).
            """,
        subcommands: [MachineCordonCommand.self, MachineDrainCommand.self, MachineUncordonCommand.self, MachineForgetCommand.self]
    )

    /// Sends `action` (`cordon`, `drain`, `uncordon`) for `machine` and prints what `describe` says.
    static func send(_ action: String, _ machine: String, _ api: EndpointOptions, describe: (CordonChange) -> String) async throws {
        let change = try await calling { try await api.client().cordon(machine: machine, action) }
        print(describe(change))
    }
}

/// The machine a `machine` subcommand acts on: an ID (or the start of one), or `--self`.
struct MachineTarget: ParsableArguments {
    @Argument(help: "Machine ID, or the start of exactly one.")
    var machine: String?

    @Flag(name: .customLong("self"), help: "The machine of the agent this command talks to.")
    var own = false

    func validate() throws {
        if own, machine != nil { throw ValidationError("give a machine ID or --self, not both") }
        if !own, machine == nil { throw ValidationError("name the machine: an ID (flotilla machines lists them) or --self") }
    }

    /// The ID to send: the one given, or the answering agent's own.
    func resolve(_ api: EndpointOptions) async throws -> String {
        if let machine { return machine }
        let client = try api.client()
        return try await calling { try await client.health() }.machine
    }
}

/// `flotilla machine cordon ID`.
struct MachineCordonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cordon", abstract: "No new instances on the machine; the ones there stay.")

    @OptionGroup var target: MachineTarget

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        try await MachineCommand.send("cordon", target.resolve(api), api) { change in
            change.changed ? "machine \(change.machine) cordoned: no new instances go there" : "machine \(change.machine) was already \(change.state ?? "cordoned")"
        }
    }
}

/// `flotilla machine uncordon ID`.
struct MachineUncordonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uncordon", abstract: "Put a cordoned or drained machine back in service.")

    @OptionGroup var target: MachineTarget

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        try await MachineCommand.send("uncordon", target.resolve(api), api) { change in
            change.changed ? "machine \(change.machine) back in service (was \(change.previous ?? "cordoned"))" : "machine \(change.machine) was not cordoned"
        }
    }
}

/// `flotilla machine drain ID`: cordon, then wait until every instance that was there runs
/// elsewhere. Exit 0 when they all do, 2 when some cannot be placed (with the reasons), 1 on
/// timeout.
struct MachineDrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drain", abstract: "Move every instance off a machine and keep new ones away.")

    @OptionGroup var target: MachineTarget

    @Flag(name: .customLong("no-wait"), help: "Return once the machine is marked draining.")
    var noWait = false

    @Option(name: .long, help: "How long to wait for the instances to run elsewhere (90, 90s, 2m).")
    var timeout: Seconds = Seconds(300)

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let before = try await calling { try await client.status() }   // what is there before the drain
        let machine = try await target.resolve(api)
        let change = try await calling { try await client.cordon(machine: machine, "drain") }
        print("machine \(change.machine) draining")
        if noWait { return }
        let id = change.machine
        var revision = change.revision
        let globalBefore = Set(before.stacks.filter { $0.scale == .global }.map(\.name))
        let leaving = Set(before.instances.filter { $0.machine == id && !globalBefore.contains($0.stack) }.map(\.instance))
        let deadline = Date().addingTimeInterval(timeout.value)
        while true {
            let report = try await calling {
                try await client.status(after: revision, wait: max(0.1, min(10, deadline.timeIntervalSinceNow)))
            }
            revision = report.revision
            let global = Set(report.stacks.filter { $0.scale == .global }.map(\.name))
            let here = report.instances.filter { $0.machine == id && !global.contains($0.stack) && $0.placement != .unplaced }
            let tracked = report.instances.filter { leaving.contains($0.instance) }
            let unplaced = tracked.filter { $0.placement == .unplaced }
            let settled = tracked.filter { report in
                report.machine != id && report.placement == .placed && !report.units.isEmpty
                    && report.units.allSatisfy { $0.current && ($0.status?.state == .running || $0.status?.state == .exited) }
            }
            if here.isEmpty && !unplaced.isEmpty {
                printError("machine \(id) drained, but \(unplaced.count) instance\(unplaced.count == 1 ? "" : "s") cannot be placed elsewhere:")
                for instance in unplaced { printError("  \(instance.instance): \(instance.unplaced?.reason ?? "no machine fits")") }
                throw ExitCode(2)
            }
            if here.isEmpty && settled.count == tracked.count {
                print("machine \(id) drained: \(tracked.count) instance\(tracked.count == 1 ? "" : "s") moved" + (tracked.isEmpty ? "" : ": " + tracked.map { "\($0.instance) → \($0.machine ?? "-")" }.sorted().joined(separator: ", ")))
                return
            }
            if Date() >= deadline {
                printError("machine \(id) is still draining after \(Int(timeout.value)) s: \(here.count) instance\(here.count == 1 ? "" : "s") still there (\(here.map(\.instance).sorted().joined(separator: ", "))), \(tracked.count - settled.count - here.count) not yet running elsewhere")
                throw ExitCode(1)
            }
        }
    }
}

/// `flotilla machine forget ID`: stop listing a machine that is down.
struct MachineForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget", abstract: "Stop listing a machine that is down (decommissioned); refused while it runs or holds instances.")

    @Argument(help: "Machine ID, or the start of exactly one.")
    var machine: String

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let change = try await calling { try await api.client().forget(machine: machine) }
        print("machine \(change.machine) forgotten")
    }
}
