import FlotillaAPI
import FlotillaModel
import FlotillaStore
import Synchronization

/// The node's HTTP API server, and the URL it is reachable at once it listens.
final class NodeAPI: Sendable {
    private let server: APIServer
    private let advertise: String?
    private let host: String
    private let listening = Mutex<ListenState>(.waiting([]))

    private enum ListenState {
        case waiting([CheckedContinuation<String, any Error>])
        case listening(String)
        case failed(String)
    }

    init(_ c: NodeConfiguration, store: any KeyValueStore, layout: StoreLayout, machineID: String) throws {
        let (host, port) = try NodeConfiguration.address(c.apiListen, setting: "API listen address")
        self.host = host
        advertise = c.advertise
        server = APIServer(store: store, layout: layout, machineID: machineID,
                           logs: JournalLogSource(directory: c.stateDirectory + "/journal"), host: host, port: port)
    }

    /// Serves until cancelled; a failure to listen is logged and reported to ``url()``.
    func run(log: @escaping @Sendable (String) -> Void) async {
        do {
            try await server.run(onListening: { [self] port in
                resolve(.listening(advertise ?? "http://\(host):\(port)"))
            })
        } catch {
            log("agent: API server on \(host):\(server.port) stopped: \(error)")
            resolve(.failed("cannot serve the API on \(host):\(server.port): \(error); pick another --listen or stop what uses that port"))
        }
    }

    /// The API's URL, once it listens; throws when it could not listen.
    func url() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<String, AgentStartError>? = listening.withLock { state in
                switch state {
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                case .listening(let url): return .success(url)
                case .failed(let why): return .failure(AgentStartError(description: why))
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    private func resolve(_ outcome: ListenState) {
        let waiters: [CheckedContinuation<String, any Error>] = listening.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = outcome
            return waiters
        }
        for waiter in waiters {
            switch outcome {
            case .listening(let url): waiter.resume(returning: url)
            case .failed(let why): waiter.resume(throwing: AgentStartError(description: why))
            case .waiting: break
            }
        }
    }
}

/// The agent could not start a listener.
struct AgentStartError: Error, CustomStringConvertible {
    var description: String
}
