import Foundation

/// The built `flotilla` executable the tests run, the way a user runs it.
package enum BuiltFlotilla {
    /// `$FLOTILLA_BIN`, or the `flotilla` beside the test bundle, or `.build/debug/flotilla`
    /// of this checkout.
    package static var path: String {
        if let path = ProcessInfo.processInfo.environment["FLOTILLA_BIN"] { return path }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("flotilla")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory.deleteLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/flotilla").path
    }
}
