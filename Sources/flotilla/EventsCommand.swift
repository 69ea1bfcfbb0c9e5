import ArgumentParser
import FlotillaAPI
import Foundation

/// `flotilla events [-f]`: what the controller and agents did, and why.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show what happened in the cluster and why (placements, moves, failures); -f keeps following."
    )

    @Flag(name: .shortAndLong, help: "Keep printing new events (Ctrl-C ends).")
    var follow = false

    @Option(name: .long, help: "How many of the newest events to show first.")
    var last: Int = 50

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml (json/yaml print one page, no -f).")
    var output: OutputFormat = .table

    @Option(name: .long, help: "Only events of this kind (e.g. audit: every change made through the API, with who made it).")
    var kind: String?

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        var page = try await calling { try await client.events(last: kind == nil ? min(max(last, 1), 1000) : 1000) }
        if let kind { page.events = Array(page.events.filter { $0.event.kind == kind }.suffix(max(last, 1))) }
        if output != .table { return try output.print(page) }
        var machines = MachineLabel(try? await client.machines())
        var table = Table(header: ["TIME", "KIND", "INSTANCE", "MACHINE", "MESSAGE"])
        table.rows = page.events.map { Self.row($0, machines) }
        print(page.events.isEmpty ? "no events" : table.render())
        guard follow else { return }
        var after = page.events.last?.key
        while true {
            // A long-poll: the API answers when an event is written (a store watch), or after 20 s.
            guard let next = try? await client.events(after: after, limit: 500, wait: 20) else {
                try await Task.sleep(for: .seconds(1)) // the API is unreachable: ask again shortly
                continue
            }
            if next.events.contains(where: { $0.event.machine.map { machines.text($0).count <= 8 } ?? false }) {
                machines = MachineLabel(try? await client.machines()) // a machine joined since
            }
            for entry in next.events where kind == nil || entry.event.kind == kind { print(Self.row(entry, machines).joined(separator: "  ")) }
            fflush(nil)
            after = next.events.last?.key ?? after
        }
    }

    static func row(_ entry: EventsPage.Entry, _ machines: MachineLabel) -> [String] {
        let event = entry.event
        return [Self.time(event.at), event.kind, event.instance ?? "-", machines.text(event.machine), event.message]
    }

    static func time(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
