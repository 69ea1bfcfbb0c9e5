import FlotillaStore
import Foundation

/// A `flotilla store serve` process that a test can SIGKILL and start again on the same data
/// directory and the same port (the first start picks a free port, later starts reuse it).
/// The server's stderr goes to `DIR.log` so failures can show it.
final class KillableServer {
    let directory: String
    private(set) var port = 0
    private var process: Process?

    init(directory: String) {
        self.directory = directory
    }

    var logPath: String { directory + ".log" }

    /// The running server's process ID.
    var pid: Int32? { process.map(\.processIdentifier) }

    /// Starts the server and returns once it printed its "serving … on HOST:PORT" line.
    func start() throws {
        precondition(process == nil, "start() while running")
        let process = Process()
        process.executableURL = FlotillaBinary.url
        process.arguments = ["store", "serve", "--data-dir", directory, "--listen", "127.0.0.1:\(port)"]
        let out = Pipe()
        process.standardOutput = out
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try logFile.seekToEnd()
        process.standardError = logFile
        try process.run()
        try logFile.close()
        self.process = process
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: #"127\.0\.0\.1:(\d+) "#, options: .regularExpression),
              let bound = Int(text[range].dropFirst("127.0.0.1:".count).dropLast()) else {
            kill()
            throw ServeFailure(message: "flotilla store serve (port \(port)) did not start: \(text) \(log())")
        }
        if port != 0 && bound != port { throw ServeFailure(message: "restarted on port \(bound), wanted \(port)") }
        port = bound
    }

    /// SIGKILL (no shutdown code runs), then waits for the process to be gone.
    func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// The server's stderr so far.
    func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)).map { "server log: \($0)" } ?? ""
    }

    /// Kills the server if it runs and removes its data directory and log.
    func destroy() {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.removeItem(atPath: logPath)
    }
}

/// Retries `body` while the store answers `unavailable` (a client reconnecting to a restarted
/// server), up to `timeout`; other errors and the last `unavailable` are thrown.
func untilAvailable<T>(timeout: Duration = .seconds(20), _ body: () async throws -> T) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        do {
            return try await body()
        } catch let error as StoreError where error.code == .unavailable && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// A temporary path (not created) for a test's data directory.
func scratchDirectory(_ label: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-\(label)-\(UUID().uuidString)").path
}
