import ArgumentParser
import FlotillaModel
import FlotillaScheduler

/// `flotilla plan FILE... --machines MACHINES.yaml`: an offline dry-run on a described cluster;
/// without `--machines`, a dry run against the live cluster (PlanLive.swift).
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show where every instance would run on a described cluster, and why anything can't be placed.",
        discussion: """
            MACHINES.yaml describes the cluster (docs/machines-format.md); instances it lists under \
            'running' are current assignments, kept where still valid. --without answers "what if \
            these machines die?": they are treated as down and their instances move. \
            Without --machines the files are planned against the live cluster through the API \
            (--endpoint); nothing is stored. \
            Exits 0 when every instance is placed, 2 when any can't be placed, 1 on invalid input.
            """
    )

    @Argument(help: "Spec files: .yaml/.yml stack files or .service/.timer fleet units.")
    var files: [String] = []

    @Option(name: .shortAndLong, parsing: .upToNextOption, help: "Spec files (same as the arguments).")
    var file: [String] = []

    @Option(name: .long, help: "The described cluster (YAML); without it, the live cluster is planned.")
    var machines: String?

    @OptionGroup var api: EndpointOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Treat these machine IDs as down.")
    var without: [String] = []

    @Option(name: .long, help: "Ranking of fitting machines: binpack or spread.")
    var strategy: ScoringStrategy = .binpack

    @Option(name: .long, help: "Seed of the scheduler's random source (same seed, same plan).")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    func run() async throws {
        guard let machines else { return try await runLive() }
        let specs = SpecLoader.load(paths: try specPaths(files, file))
        let cluster = MachinesFile.load(path: machines)
        let diagnostics = (specs.diagnostics + cluster.diagnostics).sortedByLocation()
        for diagnostic in diagnostics { printError(diagnostic.description) }
        if diagnostics.hasErrors { throw ExitCode(1) }

        let known = Set(cluster.machines.map(\.machine.id))
        let unknown = without.filter { !known.contains($0) }
        if !unknown.isEmpty {
            printError("error: --without names unknown machine\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); \(machines) defines \(known.sorted().prefix(5).joined(separator: ", "))\(known.count > 5 ? ", …" : "")")
            throw ExitCode(1)
        }
        let down = Set(without)
        var assignments: [String: String] = [:]
        for description in cluster.machines {
            for instance in description.running { assignments[instance] = description.machine.id }
        }
        let request = SchedulingRequest(
            cluster: ClusterSnapshot(machines: cluster.machines.map {
                MachineState(machine: $0.machine, alive: $0.alive && !down.contains($0.machine.id), reserved: $0.reserved)
            }),
            stacks: specs.stacks, assignments: assignments, strategy: strategy, seed: seed)
        let plan = Scheduler.plan(request)
        let report = PlanReport(plan: plan, request: request)
        switch output {
        case .table: print(report.text(without: without))
        case .json, .yaml: try output.print(report)
        }
        if !plan.failures.isEmpty { throw ExitCode(2) }
    }
}

extension ScoringStrategy: ExpressibleByArgument {}
