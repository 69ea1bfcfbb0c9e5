import Foundation
import Synchronization
import FlotillaAgent
import FlotillaController
import FlotillaEtcd
import FlotillaModel
import FlotillaStore
import FlotillaStoreSQLite

/// One machine's agent, wired together: the store (embedded SQLite served over the etcd v3
/// API, or a client of a real etcd cluster), membership under a lease, the supervisor fed by
/// this machine's assignments, status publishing, the controller (leads when elected) and
/// the HTTP API.
///
/// Lifecycle: ``start()`` opens the store and binds the listeners (so ports are known when it
/// returns), then runs every service in one task group owned by the node; ``stop()`` cancels
/// that group, waits for it and closes the store. Units keep running across a stop: the next
/// start adopts them (``Supervisor``).
public final class Node: Sendable {
    /// Where a started node can be reached.
    public struct Endpoints: Sendable, Hashable {
        /// The machine ID.
        public var machineID: String
        /// Base URL of the HTTP API.
        public var api: String
        /// The embedded store's `host:port`, when this node serves one.
        public var store: String?
    }

    /// The settings.
    public let configuration: NodeConfiguration
    private let state = NodeState()

    /// A node with `configuration`; nothing runs before ``start()``.
    public init(configuration: NodeConfiguration) { self.configuration = configuration }

    /// Opens the store, binds the API, starts every service; returns where to reach it.
    public func start() async throws -> Endpoints {
        let c = configuration
        let stateURL = URL(fileURLWithPath: c.stateDirectory)
        let machineID = try MachineIdentity.load(stateDirectory: stateURL, override: c.machineID)
        let layout = StoreLayout(prefix: c.prefix)
        let backend = try await StoreBackend.open(c)
        do {
            var supervision = SupervisorConfiguration(machine: machineID, stateDirectory: c.stateDirectory)
            let watchdog = c.fakeDriver ? nil : try c.fenceWatchdog.map { try FenceWatchdogProcess.start(executable: $0, node: c, machineID: machineID) }
            supervision.fenceFiles = watchdog?.files
            let supervisor = Supervisor(configuration: supervision, driver: c.fakeDriver ? FakeDriver() : ExecDriver())
            let api = try NodeAPI(c, store: backend.store, layout: layout, machineID: machineID)
            let measured = UsageProbe.capacity(directory: c.stateDirectory)
            let record = MachineRecord(
                id: machineID, hostname: ProcessInfo.processInfo.hostName, apiURL: "", metadata: c.metadata,
                capacity: Resources(cpu: c.cpu ?? measured.cpu, memory: c.memory ?? measured.memory, disk: c.disk ?? measured.disk),
                startedAt: Date().timeIntervalSince1970, version: FlotillaVersion.current)
            let gate = AssignmentGate(supervisor: supervisor)
            let services = NodeServices(configuration: c, layout: layout, store: backend.store, record: record,
                                        supervisor: supervisor, gate: gate, api: api, fenceFiles: watchdog?.files)
            state.begin(backend: backend, supervisor: supervisor, gate: gate, watchdog: watchdog, task: Task { await services.run() })
            let url: String
            do { url = try await api.url() } catch {
                await stop()
                throw error
            }
            c.log("flotilla agent: machine \(machineID), API \(url), store \(backend.description)")
            return Endpoints(machineID: machineID, api: url, store: backend.servedAddress)
        } catch {
            await backend.close()
            throw error
        }
    }

    /// Stops every service and closes the store. Units keep running (the next start adopts
    /// them) unless `stoppingUnits`: then every unit is stopped first, with its ExecStop and
    /// TimeoutStopSec, and the call returns once they are down (at most `unitTimeout`).
    public func stop(stoppingUnits: Bool = false, unitTimeout: Duration = .seconds(100)) async {
        guard let running = state.end() else { return }
        if stoppingUnits {
            await running.gate.close()
            let deadline = ContinuousClock.now + unitTimeout
            while ContinuousClock.now < deadline {
                let busy = await running.supervisor.statuses().contains { !($0.state == .exited || $0.state == .failed) }
                if !busy { break }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        running.task.cancel()
        await running.task.value
        await running.backend.close()
        // With the units down there is nothing left to guard; otherwise the watchdog keeps
        // guarding them until the next agent renews a lease or this one's deadline passes.
        if stoppingUnits { running.watchdog?.stop() }
    }
}

/// The running parts of a node, owned by one lock.
private final class NodeState: Sendable {
    struct Running {
        var backend: StoreBackend
        var supervisor: Supervisor
        var gate: AssignmentGate
        var watchdog: FenceWatchdogProcess?
        var task: Task<Void, Never>
    }
    private let running = Mutex<Running?>(nil)
    func begin(backend: StoreBackend, supervisor: Supervisor, gate: AssignmentGate, watchdog: FenceWatchdogProcess?,
               task: Task<Void, Never>) {
        running.withLock { $0 = Running(backend: backend, supervisor: supervisor, gate: gate, watchdog: watchdog, task: task) }
    }
    func end() -> Running? { running.withLock { let r = $0; $0 = nil; return r } }
}

/// The agent's version string.
public enum FlotillaVersion {
    /// Reported in machine records.
    public static let current = "0.1.0"
}
