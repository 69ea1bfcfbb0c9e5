import ArgumentParser
import FlotillaAPI
import FlotillaModel

/// `flotilla history STACK`: the stored versions of a stack.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the stored versions of a stack: number, when, what wrote it, and what changed.",
        discussion: "Every apply that changes a stack, every rollback and every automatic revert stores a new version; the newest keep_versions (default 10) are kept. The current one is marked with *."
    )

    @Argument(help: "Stack name.")
    var stack: String

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let report = try await calling { try await client.history(stack: stack) }
        guard output == .table else { return try output.print(report) }
        guard !report.versions.isEmpty else {
            return print("stack \(stack) has no stored versions (it was stored before versions existed; the next apply that changes it stores version 1)")
        }
        var table = Table(header: ["VERSION", "WHEN", "ORIGIN", "CHANGE"])
        for entry in report.versions {
            table.rows.append([(entry.current ? "*" : " ") + String(entry.version), EventsCommand.time(entry.at), entry.origin, entry.change])
        }
        print(table.render())
        if let rollout = report.rollout {
            print("last rollout: \(RolloutWaiter.progressLine(stack, rollout))" + (rollout.message.map { " (\($0))" } ?? ""))
        }
    }
}

/// `flotilla rollback STACK [--to N]`: store an earlier version again and roll it out.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Store an earlier version of a stack as its newest version and wait until it is rolled out.",
        discussion: "Without --to, the newest earlier version whose spec differs from the current one. The stack's desired state stays as it is; the change rolls out by the stack's update strategy, and the exit codes are apply's."
    )

    @Argument(help: "Stack name.")
    var stack: String

    @Option(name: .long, help: "The version to roll back to (flotilla history STACK lists them).")
    var to: Int?

    @Flag(name: .long, help: "Return once the version is stored, without waiting.")
    var detach = false

    @Option(name: .long, help: "How long to wait for the rollout (90, 90s, 2m).")
    var timeout: Seconds = Seconds(300)

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let applied = try await calling { try await client.rollback(stack: stack, to: to) }
        if applied.unchanged.contains(stack) {
            return print("\(stack) already runs that spec: nothing written, nothing restarts")
        }
        print("rolled \(stack) back\(to.map { " to version \($0)" } ?? "") at revision \(applied.revision)")
        if detach { return }
        let ending = try await RolloutWaiter(client: client, rollout: Rollout(revisions: applied.specRevisions),
                                             timeout: timeout.value, say: { print($0) }).wait()
        if case .ready(let state) = ending { print("all \(state.instances.count) instance\(state.instances.count == 1 ? "" : "s") running") }
        try await RolloutReport(client: client).fail(ending, timeout: timeout.value)
    }
}

/// `flotilla promote STACK`: release a rollout that waits after its canaries.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Let a rollout that waits after its canaries (update.canary) replace the other instances."
    )

    @Argument(help: "Stack name.")
    var stack: String

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let promoted = try await calling { try await client.promote(stack: stack) }
        let what = promoted.version.map { "version \($0)" } ?? "spec revision \(promoted.specRevision)"
        print(promoted.changed ? "promoted \(stack) \(what): the rollout goes on to the other instances"
              : "\(stack) \(what) was already promoted")
    }
}
