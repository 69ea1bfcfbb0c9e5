import ArgumentParser
import FlotillaAPI
import Foundation

/// `flotilla logs [-f] INSTANCE[/UNIT]`: a unit's journal, from any agent.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a unit's journal (stdout and stderr); -f keeps printing new lines.",
        discussion: "INSTANCE/UNIT, e.g. lamp@3/mysql; the unit may be left out when the instance has only one."
    )

    @Argument(help: "INSTANCE/UNIT (or INSTANCE of a one-unit stack).")
    var target: String

    @Flag(name: .shortAndLong, help: "Keep printing lines as they are written (Ctrl-C ends).")
    var follow = false

    @Option(name: [.customShort("n"), .long], help: "How many of the last lines to print first.")
    var lines: Int = 100

    @Option(name: .shortAndLong, help: "Output format: table (plain lines), json or yaml (lines and nextOffset; not with -f).")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func validate() throws {
        if follow && output != .table { throw ValidationError("-f prints plain lines; leave out -o \(output.rawValue)") }
    }

    func run() async throws {
        let client = try api.client()
        let (instance, unit) = try await calling { try await Self.resolve(target, client: client) }
        if output != .table {
            return try output.print(try await calling { try await client.logs(instance: instance, unit: unit, last: lines) })
        }
        try await Self.stream(client: client, instance: instance, unit: unit, last: lines, follow: follow)
    }

    /// Prints the last lines, then (following) new ones as they are written, until
    /// interrupted. Each request is a long-poll the agent answers when a line is written (an
    /// inotify wakeup on the journal file) or after 20 s with none; nothing polls on a timer.
    static func stream(client: APIClient, instance: String, unit: String, last: Int, follow: Bool) async throws {
        var chunk = try await calling { try await client.logs(instance: instance, unit: unit, last: last) }
        for line in chunk.lines { print(line) }
        fflush(nil)
        guard follow else { return }
        var problem: String?
        while true {
            do {
                let next = try await client.logs(instance: instance, unit: unit, offset: chunk.nextOffset, wait: 20)
                chunk = next
                problem = nil
                for line in chunk.lines { print(line) }
                fflush(nil)
            } catch let error as APIClientError {
                if error.status == 404 { printAPIError(error); throw ExitCode(1) }
                if problem != error.detail { printError("cannot read the journal (\(error.detail)); retrying") }
                problem = error.detail
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// `instance/unit`, or the only unit of `instance`.
    static func resolve(_ target: String, client: APIClient) async throws -> (String, String) {
        if let slash = target.firstIndex(of: "/") {
            return (String(target[..<slash]), String(target[target.index(after: slash)...]))
        }
        let report = try await client.status()
        guard let instance = report.instances.first(where: { $0.instance == target }) else {
            throw ValidationError("no instance named '\(target)'; give INSTANCE/UNIT as listed by flotilla status")
        }
        guard instance.units.count == 1, let unit = instance.units.first else {
            let names = instance.units.map(\.name)
            throw ValidationError(names.isEmpty ? "\(target) is not assigned to a machine, so it has no journal yet; flotilla status shows why"
                                  : "\(target) has \(names.count) units; name one: \(names.map { "\(target)/\($0)" }.joined(separator: ", "))")
        }
        return (target, unit.name)
    }
}
