import Foundation
import FlotillaAgent
import FlotillaAPI
import FlotillaModel

/// Everything one agent needs to run, with defaults filled in.
public struct NodeConfiguration: Sendable {
    /// Default port of the HTTP API.
    public static let defaultAPIPort = APIClient.defaultPort
    /// Default port of the embedded store (etcd's client port).
    public static let defaultStorePort = 2379

    /// State directory: `machine-id`, `store/` (embedded store), `units/`, `journal/`.
    public var stateDirectory: String
    /// Machine ID to use when none is stored yet.
    public var machineID: String?
    /// Placement labels.
    public var metadata: Metadata
    /// Capacity overrides (nil: measured).
    public var cpu: Int64?, memory: Int64?, disk: Int64?
    /// etcd endpoints; empty: serve the embedded store.
    public var storeEndpoints: [String]
    /// Embedded store address (`host:port`).
    public var storeListen: String
    /// API address (`host:port`; port 0 picks a free one).
    public var apiListen: String
    /// The API URL other agents use; nil: `http://<api host>:<bound port>`.
    public var advertise: String?
    /// Membership lease TTL, seconds.
    public var ttl: Int64
    /// Store key prefix.
    public var prefix: String
    /// Run units with the fake driver (benchmarks, tests): nothing is executed.
    public var fakeDriver: Bool
    /// The `flotilla` executable to run as this agent's fence watchdog (`flotilla
    /// fence-watchdog`, see `FenceWatchdog`); nil: none (in-process agents of tests and
    /// benchmarks). Ignored with the fake driver.
    public var fenceWatchdog: String?
    /// Where log lines go.
    public var log: @Sendable (String) -> Void

    /// Settings from a config file and flags (flags are already merged into `config`).
    public init(_ config: AgentConfig, log: @escaping @Sendable (String) -> Void = NodeConfiguration.standardError) {
        stateDirectory = config.stateDirectory ?? "/var/lib/flotilla"
        machineID = config.machineID
        metadata = config.metadata
        cpu = config.cpu; memory = config.memory; disk = config.disk
        storeEndpoints = config.store
        storeListen = config.storeListen ?? "127.0.0.1:\(Self.defaultStorePort)"
        apiListen = config.listen ?? "127.0.0.1:\(Self.defaultAPIPort)"
        advertise = config.advertise
        ttl = config.ttl ?? 5
        prefix = config.prefix ?? "/flotilla/"
        fakeDriver = false
        self.log = log
    }

    /// Writes a timestamped line to standard error.
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data("\(LogTimestamp.string()) \(line)\n".utf8))
    }

    /// `host:port` split; the error names the setting.
    static func address(_ text: String, setting: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port), colon > text.startIndex else {
            throw AgentError("\(setting) \"\(text)\" is not HOST:PORT (for example 127.0.0.1:\(defaultAPIPort))")
        }
        return (String(text[..<colon]), port)
    }
}
