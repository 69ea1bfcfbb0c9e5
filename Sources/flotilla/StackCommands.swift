import ArgumentParser
import FlotillaAPI
import FlotillaModel

/// `flotilla start STACK...`: desired state `launched`, then wait until the instances run.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Run stored stacks again (desired state launched) and wait until every instance runs.",
        discussion: "Exit codes as for apply: 0 running, 1 a unit failed or --timeout, 2 an instance is unplaced."
    )

    @Argument(help: "Stack names.")
    var stacks: [String]

    @Flag(name: .long, help: "Return once the change is stored, without waiting.")
    var detach = false

    @Option(name: .long, help: "How long to wait (90, 90s, 2m).")
    var timeout: Seconds = Seconds(120)

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml (the changes; progress goes to stderr).")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        var revisions: [String: Int64] = [:]
        var changes: [StackChange] = []
        let say: (String) -> Void = output == .table ? { print($0) } : { printError($0) }
        for stack in stacks {
            let change = try await calling { try await client.start(stack: stack) }
            say(StackChangeText.describe(change))
            changes.append(change)
            revisions[stack] = change.revision
        }
        if output != .table { try output.print(changes) }
        if detach { return }
        let ending = try await RolloutWaiter(client: client, rollout: Rollout(revisions: revisions),
                                             timeout: timeout.value, say: say).wait()
        if case .ready(let state) = ending { say("all \(state.instances.count) instance\(state.instances.count == 1 ? "" : "s") running") }
        try await RolloutReport(client: client).fail(ending, timeout: timeout.value)
    }
}

/// `flotilla stop STACK...`: desired state `loaded` (placed, units stopped).
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the units of stacks; their instances stay placed (desired state loaded)."
    )

    @Argument(help: "Stack names.")
    var stacks: [String]

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        try await StackChangeText.change(stacks, output: output) { try await client.stop(stack: $0) }
    }
}

/// `flotilla destroy STACK...`: remove stacks; their instances stop and are unassigned.
struct DestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Remove stacks from the cluster; the controller stops and unassigns their instances."
    )

    @Argument(help: "Stack names.")
    var stacks: [String]

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        try await StackChangeText.change(stacks, output: output) { try await client.destroy(stack: $0) }
    }
}

/// One line per desired-state change.
enum StackChangeText {
    /// Makes `change` to each stack in turn and prints what changed: a line per stack as a
    /// table, or the whole list as JSON or YAML (`stop` and `destroy`).
    static func change(_ stacks: [String], output: OutputFormat,
                       _ change: (String) async throws -> StackChange) async throws {
        var changes: [StackChange] = []
        for stack in stacks {
            let made = try await calling { try await change(stack) }
            if output == .table { print(describe(made)) }
            changes.append(made)
        }
        if output != .table { try output.print(changes) }
    }

    static func describe(_ change: StackChange) -> String {
        guard let desired = change.desired else {
            return "\(change.stack): destroyed at revision \(change.revision); its instances are being stopped"
        }
        guard change.changed else { return "\(change.stack): already \(desired.rawValue)" }
        let meaning = switch desired {
        case .launched: "its units start"
        case .loaded: "its units stop, its instances stay placed"
        case .inactive: "its instances are unassigned"
        }
        return "\(change.stack): \(change.previous.rawValue) → \(desired.rawValue) at revision \(change.revision); \(meaning)"
    }
}
