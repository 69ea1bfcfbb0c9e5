import ArgumentParser

/// `flotilla-bench`: benchmarks of Flotilla's cores, one subcommand per core. Run them from a
/// release build (`swift build -c release --product flotilla-bench`).
@main
struct FlotillaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flotilla-bench",
        abstract: "Benchmarks of Flotilla's cores (run a release build).",
        subcommands: [SchedulerBench.self, StoreBench.self, StoreBenchMemoryServer.self, ClusterBench.self, NetworkBench.self])
}
