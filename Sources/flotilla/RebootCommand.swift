import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `flotilla reboot status|lock|unlock|set-max|history`: the reboot groups (docs/reboots.md).
struct RebootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reboot",
        abstract: "Reboot coordination: who holds the slots, who waits and why.",
        discussion: """
            Agents with a reboot strategy (reboot: in their config) and Zincati through the \
            FleetLock server take slots of a group before they reboot. A slot is granted only when \
            the cluster can place every instance without the machine; the machine is then drained, \
            and reboots once its instances run elsewhere. A holder that does not come back within \
            the group's hold timeout loses its slot. See docs/reboots.md.
            """,
        subcommands: [RebootStatusCommand.self, RebootLockCommand.self, RebootUnlockCommand.self,
                      RebootSetMaxCommand.self, RebootHistoryCommand.self]
    )
}

/// `flotilla reboot status [GROUP]`.
struct RebootStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Slots, holders (since when, why) and who waits and why.")

    @Argument(help: "Only this group.")
    var group: String?

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let report = try await calling { try await client.rebootStatus(group: group) }
        if output != .table { return try output.print(report) }
        let machines = MachineLabel(try? await client.machines())
        guard !report.groups.isEmpty else {
            print("no reboot groups yet: one appears when a machine asks for a slot, or with flotilla reboot set-max GROUP N")
            return
        }
        for (index, group) in report.groups.enumerated() {
            if index > 0 { print("") }
            print("group \(group.name): \(group.holders.count)/\(group.slots) slot\(group.slots == 1 ? "" : "s") held, hold timeout \(Self.span(group.holdTimeout))")
            for holder in group.holders {
                print("  holder  \(machines.text(holder.machine))  \(holder.phase) for \(Self.span(report.now - (holder.rebootingSince ?? holder.since)))"
                      + "  (since \(EventsCommand.time(holder.since)), \(holder.reason))")
            }
            for waiter in group.waiters {
                print("  waits   \(machines.text(waiter.machine))  since \(EventsCommand.time(waiter.since)):")
                for reason in waiter.reasons { print("            \(reason)") }
            }
            if group.holders.isEmpty && group.waiters.isEmpty { print("  no machine holds a slot or waits") }
        }
    }

    /// `45s`, `12m`, `1h30m`.
    static func span(_ seconds: Double) -> String {
        let total = max(0, Int(seconds))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m" + (total % 60 == 0 ? "" : "\(total % 60)s") }
        return "\(total / 3600)h" + (total % 3600 / 60 == 0 ? "" : "\(total % 3600 / 60)m")
    }
}

/// The group and machine of `reboot lock|unlock`.
struct RebootTarget: ParsableArguments {
    @Argument(help: "Machine ID, or the start of exactly one (default: the machine of the agent this command talks to).")
    var machine: String?

    @Option(name: .shortAndLong, help: "The reboot group (default: default).")
    var group: String = "default"
}

/// `flotilla reboot lock [MACHINE]`.
struct RebootLockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Take a reboot slot for a machine: granted only with room in the cluster; then it drains.",
        discussion: "Run it again to see whether the drain is done. Exit 0 once the machine holds a slot and is drained, 3 while it drains, 2 while it waits.")

    @OptionGroup var target: RebootTarget

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let answer = try await calling { try await api.client().reboot("lock", group: target.group, machine: target.machine) }
        switch answer.outcome {
        case "ready": print("machine \(answer.machine) holds a reboot slot of \(answer.group) and is drained: it may reboot")
        case "draining":
            print("machine \(answer.machine) holds a reboot slot of \(answer.group) and drains:")
            for reason in answer.reasons { print("  \(reason)") }
            throw ExitCode(3)
        default:
            print("machine \(answer.machine) waits for a reboot slot of \(answer.group):")
            for reason in answer.reasons { print("  \(reason)") }
            throw ExitCode(2)
        }
    }
}

/// `flotilla reboot unlock [MACHINE]`.
struct RebootUnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unlock", abstract: "Give a machine's reboot slot back and put its cordon back as it was.")

    @OptionGroup var target: RebootTarget

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let answer = try await calling { try await api.client().reboot("unlock", group: target.group, machine: target.machine) }
        print(answer.outcome == "released" ? "machine \(answer.machine) gave its reboot slot of \(answer.group) back"
                                           : "machine \(answer.machine) held no reboot slot of \(answer.group)")
    }
}

/// `flotilla reboot set-max GROUP N`.
struct RebootSetMaxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-max", abstract: "How many machines of a group may reboot at once.")

    @Argument(help: "The group.")
    var group: String

    @Argument(help: "Slots: machines that may reboot at once (0 stops new reboots).")
    var slots: Int

    @Option(name: .customLong("hold-timeout"), help: "How long a holder keeps its slot before it is taken back (90s, 30m, 1h; default unchanged, 1h for a new group).")
    var holdTimeout: Seconds?

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let report = try await calling { try await api.client().rebootSlots(group: group, slots: slots, holdTimeout: holdTimeout?.value) }
        guard let stored = report.groups.first else { return }
        print("reboot group \(stored.name): \(stored.slots) slot\(stored.slots == 1 ? "" : "s"), hold timeout \(RebootStatusCommand.span(stored.holdTimeout))"
              + (stored.holders.count > stored.slots ? " (\(stored.holders.count) hold slots now; no new grant until fewer do)" : ""))
    }
}

/// `flotilla reboot history`.
struct RebootHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Reboot events: grants, waits, reboots, releases, expiries.")

    @Option(name: .shortAndLong, help: "How many of the newest (1–1000).")
    var last = 50

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let page = try await calling { try await client.rebootHistory(last: last) }
        if output != .table { return try output.print(page) }
        let machines = MachineLabel(try? await client.machines())
        var table = Table(header: ["TIME", "KIND", "MACHINE", "MESSAGE"])
        table.rows = page.events.map { [EventsCommand.time($0.event.at), $0.event.kind, machines.text($0.event.machine), $0.event.message] }
        print(page.events.isEmpty ? "no reboot events" : table.render())
    }
}
