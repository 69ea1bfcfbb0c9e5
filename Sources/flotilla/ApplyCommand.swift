import ArgumentParser
import FlotillaAPI
import FlotillaModel

/// `flotilla apply -f FILE...`: store the stacks, then wait until they run.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Store stacks in the cluster and wait until every instance runs.",
        discussion: """
            The files are checked like 'flotilla validate'; any error rejects all of them and nothing \
            is stored. Then every stack is stored in one transaction and apply waits until each \
            instance runs (and is healthy, when it has a health check), printing every change. \
            A stack whose units changed rolls out by its update strategy (update: in the stack file): \
            a few instances at a time, each healthy for min_healthy_time before the next; apply \
            prints the rollout's progress (updated/healthy/total). \
            Exits 0 when all run; 1 when a unit fails to start or crash-loops (its exit status, last \
            error and last 10 log lines are shown), when a rollout fails (saying whether it was \
            reverted, and to which version), when the files are invalid, or at --timeout; \
            2 when an instance is unplaced (the controller's reasons are shown).
            """
    )

    @Argument(help: "Spec files (also accepted with -f).")
    var files: [String] = []

    @Option(name: .shortAndLong, parsing: .upToNextOption, help: "Spec files: .yaml/.yml stacks or .service/.timer fleet units.")
    var file: [String] = []

    @Flag(name: .long, help: "Return once the stacks are stored, without waiting.")
    var detach = false

    @Option(name: .long, help: "How long to wait for every instance to run (90, 90s, 2m).")
    var timeout: Seconds = Seconds(120)

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    struct Outcome: Encodable {
        var revision: Int64
        var stacks: [String]
        var unchanged: [String]
        var outcome: String
        var instances: [Instance]
    }

    struct Instance: Encodable {
        var instance: String
        var machine: String?
        var phase: String
        var reason: String?
    }

    func run() async throws {
        let paths = try specPaths(files, file)
        let client = try api.client()
        let bundle = SpecBundle.read(paths: paths)
        let applied = try await calling { try await client.apply(bundle.applyRequest(desired: .launched)) }
        for warning in applied.warnings where warning.severity == .warning { printError(warning.description) }
        let say: (String) -> Void = output == .table ? { print($0) } : { printError($0) }
        if !applied.written.isEmpty { say("applied \(applied.written.joined(separator: ", ")) at revision \(applied.revision)") }
        for name in applied.unchanged {
            say("\(name) unchanged at revision \(applied.specRevisions[name] ?? applied.revision): nothing written, nothing restarts")
        }
        if detach {
            if output != .table { try output.print(Outcome(revision: applied.revision, stacks: applied.stacks, unchanged: applied.unchanged, outcome: "stored", instances: [])) }
            return
        }
        let rollout = Rollout(revisions: applied.specRevisions)
        let ending = try await RolloutWaiter(client: client, rollout: rollout, timeout: timeout.value, say: say).wait()
        try await finish(ending, applied: applied, client: client)
    }

    /// Prints how the rollout ended and exits with its code.
    func finish(_ ending: RolloutWaiter.Ending, applied: ApplyResponse, client: APIClient) async throws {
        let state = RolloutWaiter.state(ending)
        let problem = await RolloutReport(client: client).problem(ending, timeout: timeout.value)
        let running = state.instances.map(\.label)
        let (code, name, lines) = problem ?? (0, "running", ["all \(running.count) instance\(running.count == 1 ? "" : "s") running" + (running.isEmpty ? "" : ": " + running.joined(separator: ", "))])
        if output == .table {
            for line in lines { code == 0 ? print(line) : printError(line) }
        } else {
            for line in lines { printError(line) }
            try output.print(Outcome(revision: applied.revision, stacks: applied.stacks, unchanged: applied.unchanged, outcome: name, instances: state.instances.map {
                Instance(instance: $0.instance, machine: $0.machine, phase: $0.phase.rawValue, reason: $0.reason)
            }))
        }
        if code != 0 { throw ExitCode(code) }
    }
}
