import ArgumentParser
import FlotillaModel

/// `flotilla validate FILE...`: checks spec files without touching a cluster.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check spec files (YAML stacks or fleet units) and report every problem.",
        discussion: """
            Problems are printed as FILE:LINE:COL: error: MESSAGE (warnings as 'warning:'). \
            Exits 0 when every file is valid (warnings allowed), 1 otherwise.
            """
    )

    @Argument(help: "Spec files: .yaml/.yml stack files or .service/.timer fleet units.")
    var files: [String]

    @Option(name: .shortAndLong, help: "Output format: table (text) or json.")
    var output: ValidateOutput = .table

    enum ValidateOutput: String, ExpressibleByArgument, CaseIterable { case table, text, json }

    struct Report: Encodable {
        struct Problem: Encodable {
            var file: String
            var line: Int
            var column: Int
            var severity: String
            var message: String
        }
        struct Stack: Encodable {
            var name: String
            var instances: String
            var units: [String]
        }
        var valid: Bool
        var errors: Int
        var warnings: Int
        var diagnostics: [Problem]
        var stacks: [Stack]
    }

    func run() throws {
        let result = SpecLoader.load(paths: files)
        let diagnostics = result.diagnostics.sortedByLocation()
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        if output == .json {
            let report = Report(
                valid: errors == 0, errors: errors, warnings: warnings,
                diagnostics: diagnostics.map {
                    .init(file: $0.location.file, line: $0.location.line, column: $0.location.column,
                          severity: $0.severity.rawValue, message: $0.message)
                },
                stacks: errors > 0 ? [] : result.stacks.map {
                    .init(name: $0.name, instances: $0.instancesSummary, units: $0.units.map(\.name))
                })
            try OutputFormat.json.print(report)
        } else {
            for diagnostic in diagnostics { print(diagnostic.description) }
            if errors == 0 {
                let stacks = result.stacks.map { "\($0.name) (\($0.instancesSummary))" }
                print("valid: \(files.count) file\(files.count == 1 ? "" : "s")"
                      + (stacks.isEmpty ? "" : ", stacks: " + stacks.joined(separator: ", "))
                      + (warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : ""))
            } else {
                printError("\(errors) error\(errors == 1 ? "" : "s")" + (warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : "") + "; nothing is valid until every error is fixed")
            }
        }
        if errors > 0 { throw ExitCode(1) }
    }
}

extension StackSpec {
    /// `5 instances`, `1 instance`, `global`.
    var instancesSummary: String {
        switch scale {
        case .global: "global"
        case .count(let n): "\(n) instance\(n == 1 ? "" : "s")"
        }
    }
}
