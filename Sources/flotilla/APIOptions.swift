import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `--endpoint URL`: which agent's API a command talks to (any agent answers for the cluster).
/// The CA and token come from the client config or the environment (``APIClient/configured(endpoint:timeout:environment:)``).
struct EndpointOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Agent API URL (default $\(APIClient.endpointVariable), else the client config's endpoint, else \(APIClient.defaultEndpoint)). The CA and token come from $\(ClientConfig.pathVariable) (default ~/.config/flotilla/config.yaml), $\(APIClient.caVariable) and $\(APIClient.tokenVariable).", valueName: "URL"))
    var endpoint: String?

    /// The client, or a usage error naming the bad endpoint or the missing credentials.
    func client(timeout: TimeInterval = 30) throws -> APIClient {
        do {
            return try APIClient.configured(endpoint: endpoint, timeout: timeout)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// Runs an API call; an API error is printed (with every diagnostic of rejected spec files)
/// and ends the command with exit code 1.
func calling<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as APIClientError {
        printAPIError(error)
        throw ExitCode(1)
    }
}

/// Prints an API error: diagnostics one per line, then the sentence.
func printAPIError(_ error: APIClientError) {
    if case .rejected(_, _, let diagnostics, _) = error, !diagnostics.isEmpty {
        for diagnostic in diagnostics { printError(diagnostic.description) }
        let errors = diagnostics.filter { $0.severity == .error }.count
        printError("\(errors) error\(errors == 1 ? "" : "s"); nothing was stored. Fix every error and try again (flotilla validate FILE shows the same list).")
        return
    }
    printError("error: \(error)")
}

/// Spec files from positional arguments and `-f`, at least one.
func specPaths(_ positional: [String], _ flagged: [String]) throws -> [String] {
    let all = positional + flagged
    guard !all.isEmpty else { throw ValidationError("name at least one spec file: -f FILE (.yaml, .yml, .service or .timer)") }
    return all
}

/// `5s ago`, `3m ago`, `2h ago`, `4d ago` for a time in seconds since 1970.
func ago(_ time: Double, now: Double = Date().timeIntervalSince1970) -> String {
    let seconds = max(0, Int(now - time))
    switch seconds {
    case ..<60: return "\(seconds)s ago"
    case ..<3600: return "\(seconds / 60)m ago"
    case ..<86400: return "\(seconds / 3600)h ago"
    default: return "\(seconds / 86400)d ago"
    }
}

/// `exit code 3`, `signal 9 (SIGKILL)`, or `-`.
func lastExit(_ status: UnitStatus?) -> String {
    if let code = status?.exitCode { return "exit code \(code)" }
    if let signal = status?.exitSignal { return "signal \(signal)\(signalNames[signal].map { " (\($0))" } ?? "")" }
    return "-"
}

private let signalNames: [Int32: String] = [
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
    10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
]

/// A duration: `90`, `90s`, `2m`, `1h`.
struct Seconds: ExpressibleByArgument {
    var value: Double

    init(_ value: Double) { self.value = value }

    init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        var text = Substring(argument)
        var scale = 1.0
        if let last = text.last, let unit = units[last] {
            scale = unit
            text = text.dropLast()
        }
        guard let number = Double(text), number > 0 else { return nil }
        value = number * scale
    }
}
