import FlotillaController
import FlotillaModel
import FlotillaSecurity
import FlotillaStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The FleetLock server for Zincati, on a listener of its own (plain HTTP: Zincati cannot
/// authenticate), base path `/`:
/// - `POST /v1/pre-reboot` asks for a reboot slot for the machine (``RebootLocks``: granted
///   only with room in the cluster without it, then drained); it answers 200 only once the
///   machine is drained, and 409 with why while it waits or drains (Zincati asks again).
/// - `POST /v1/steady-state` gives the slot back and uncordons the machine; 200 also when it
///   held none.
///
/// Zincati's id is app-specific (``FleetLockIdentity``); it is matched against the known
/// machines' IDs, and requests for no known machine are refused (`unknown_client_id`).
public struct FleetLockServer: Service {
    let store: any KeyValueStore
    let layout: StoreLayout
    let locks: RebootLocks
    let host: String
    let port: Int
    let logger: Logger

    /// A server answering for the machines in `store`; `machineID` (the serving agent's) is
    /// recorded as the source of its events.
    public init(store: any KeyValueStore, layout: StoreLayout, machineID: String, host: String, port: Int, logger: Logger) {
        self.store = store; self.layout = layout; self.host = host; self.port = port; self.logger = logger
        locks = RebootLocks(store: store, layout: layout, source: machineID)
    }

    /// Serves until the service group shuts down.
    public func run() async throws {
        try await application(onListening: { _ in }).runService()
    }

    /// The application; `onListening` gets the bound port (tests listen on port 0).
    public func application(onListening: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.post("v1/pre-reboot") { request, _ in await answer(request, preReboot: true) }
        router.post("v1/steady-state") { request, _ in await answer(request, preReboot: false) }
        var quiet = logger
        quiet.logLevel = .critical
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "flotilla-fleetlock"),
                           onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: quiet)
    }

    private func answer(_ request: Request, preReboot: Bool) async -> Response {
        var request = request
        let body = (try? await request.collectBody(upTo: 64 << 10)).map { Array($0.readableBytesView) } ?? []
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let outcome: Result<Void, FleetLockError>
        switch FleetLockRequest.parse(headers: headers, body: body) {
        case .failure(let error): outcome = .failure(error)
        case .success(let parsed): outcome = await act(parsed, preReboot: preReboot)
        }
        switch outcome {
        case .success: return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        case .failure(let error):
            logger.info("fleetlock request refused", metadata: ["kind": "\(error.kind.rawValue)", "why": "\(error.value)"])
            return Response(status: .init(code: error.kind.status), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: error.body)))
        }
    }

    private func act(_ request: FleetLockRequest, preReboot: Bool) async -> Result<Void, FleetLockError> {
        do {
            guard let machine = try await machine(for: request.id) else {
                return .failure(FleetLockError(.unknownID, "no machine of this cluster has the id '\(request.id)' (Zincati's app-specific machine ID); is its agent running with the OS's /etc/machine-id?"))
            }
            let now = Date().timeIntervalSince1970
            guard preReboot else {
                _ = try await locks.release(machine: machine, group: request.group, why: "fleetlock steady-state", now: now)
                return .success(())
            }
            switch try await locks.request(machine: machine, group: request.group, reason: "fleetlock pre-reboot", now: now) {
            case .ready: return .success(())
            case .draining(let why): return .failure(FleetLockError(.draining, "machine \(machine) is draining: \(why.joined(separator: "; "))"))
            case .waiting(let why): return .failure(FleetLockError(.noCapacity, "machine \(machine) waits: \(why.joined(separator: "; "))"))
            case .full(let why): return .failure(FleetLockError(.semaphoreFull, why.joined(separator: "; ")))
            }
        } catch {
            return .failure(FleetLockError(.storeError, "the cluster store failed: \(error)"))
        }
    }

    /// The known machine (registered, or a member that is down) whose app-specific ID for
    /// Zincati is `id`.
    private func machine(for id: String) async throws -> String? {
        guard let wanted = FleetLockIdentity.normalized(id) else { return nil }
        let read = try await store.txn(TxnRequest(success: [layout.machines, layout.members].map { .range(.prefix(Bytes(utf8: $0)).keysOnlyCopy) }))
        for case .range(let range) in read.responses {
            for kv in range.kvs {
                let key = kv.key.utf8String
                guard let machine = layout.suffix(of: key, under: layout.machines) ?? layout.suffix(of: key, under: layout.members) else { continue }
                if FleetLockIdentity.appSpecificID(machineID: machine) == wanted { return machine }
            }
        }
        return nil
    }
}
