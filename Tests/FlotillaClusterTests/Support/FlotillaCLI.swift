import FlotillaTesting
import Foundation
import Glibc

/// What one run of the `flotilla` binary printed and how it ended.
struct CLIResult: CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    /// Both streams, for assertions about "the output".
    var output: String { stdout + stderr }

    var description: String {
        "flotilla \(arguments.joined(separator: " ")) → exit \(status)\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)"
    }
}

/// The built `flotilla` executable, run the way a user runs it.
enum FlotillaCLI {
    /// `$FLOTILLA_BIN`, or the `flotilla` beside the test bundle, or `.build/debug/flotilla`.
    static var path: String { BuiltFlotilla.path }

    /// Runs `flotilla ARGS` to completion (killed after `timeout`), output captured in files
    /// under `directory`.
    static func run(_ arguments: [String], in directory: String, environment: [String: String] = [:],
                    timeout: Duration = .seconds(120)) async throws -> CLIResult {
        let name = UUID().uuidString.prefix(8)
        let outPath = "\(directory)/cli-\(name).out", errPath = "\(directory)/cli-\(name).err"
        let process = try ChildProcess.spawn(path, arguments, logPath: outPath, errorPath: errPath, environment: environment, directory: directory)
        let deadline = ContinuousClock.now + timeout
        while process.exitStatus == nil, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.exitStatus == nil { process.killAndReap() }
        return CLIResult(arguments: arguments, status: process.exitStatus ?? -1,
                         stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
