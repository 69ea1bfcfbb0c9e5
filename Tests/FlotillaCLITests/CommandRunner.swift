import FlotillaTesting
import Foundation

/// Runs the real `flotilla` binary built next to the test bundle and captures its output.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum FlotillaBinary {
    /// The built `flotilla` executable: `$FLOTILLA_BIN`, or the one beside the test runner.
    static var url: URL { URL(fileURLWithPath: BuiltFlotilla.path) }

    /// Directory of this target's fixtures.
    static var fixtures: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }

    /// Runs `flotilla ARGS` with the fixtures directory as working directory.
    static func run(_ arguments: [String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = fixtures
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }
}
