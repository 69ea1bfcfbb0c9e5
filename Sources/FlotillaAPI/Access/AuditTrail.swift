import FlotillaModel
import FlotillaStore
import Foundation
import Logging

/// Records every change made through the API as an event of kind `audit`: who (token name
/// or machine), what (method and path) and the answer's status; `flotilla events --kind
/// audit` lists them. Audit events live under a lease of their own, ``ttl`` (7 days), granted
/// again once half of it has passed, so they age out like other events, only later.
actor AuditTrail {
    /// Seconds an audit event is kept.
    static let ttl: Int64 = 7 * 86_400
    let store: any KeyValueStore
    let layout: StoreLayout
    let machineID: String
    let logger: Logger
    private var lease: (id: Int64, granted: Double)?
    private var sequence: UInt64 = 0

    init(store: any KeyValueStore, layout: StoreLayout, machineID: String, logger: Logger) {
        self.store = store; self.layout = layout; self.machineID = machineID; self.logger = logger
    }

    /// Records one request; a failure to record is logged, not raised (the change is made).
    func record(caller: Caller, method: String, path: String, status: Int) async {
        let now = Date().timeIntervalSince1970
        let event = EventRecord(at: now, kind: "audit", message: "\(caller.name) \(method) \(path) → \(status)", source: machineID)
        sequence += 1
        let key = layout.event(unixNanoseconds: UInt64(now * 1e9), sequence: sequence)
        do {
            if lease == nil || now - lease!.granted > Double(Self.ttl / 2) {
                lease = (try await store.leaseGrant(ttl: Self.ttl, id: 0).id, now)
            }
            do {
                _ = try await store.put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(event), lease: lease!.id))
            } catch {
                // The lease may be gone (a store restored from a snapshot): take a new one once.
                lease = (try await store.leaseGrant(ttl: Self.ttl, id: 0).id, now)
                _ = try await store.put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(event), lease: lease!.id))
            }
        } catch {
            logger.warning("cannot record an audit event", metadata: ["event": "\(event.message)", "error": "\(error)"])
        }
    }
}
