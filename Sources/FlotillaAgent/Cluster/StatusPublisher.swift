import FlotillaModel
import FlotillaStore
import ServiceLifecycle

/// Writes unit status changes to `status/<instance>/<unit>` under the machine's lease, and
/// keeps `endpoints/<stack>/<instance>` (``ServiceEndpoint``) for each instance with an overlay
/// address while all its units run (healthy, where they have a check).
///
/// Changes are coalesced (only the newest status of a unit is written) and flushed in
/// transactions of up to ``batchSize`` operations, so a machine starting a thousand units makes
/// a handful of writes, not a thousand. When the machine's lease changes (it registered again),
/// every known status is written again under the new lease.
///
/// A status belongs to the machine the instance is assigned to: every write is a nested
/// transaction that applies only while `assign/<this machine>/<instance>` exists. A machine
/// that lost an instance (it moved while the agent was dead or cut off, or the agent restarted
/// and found units it no longer owns) therefore never overwrites or deletes the new owner's
/// status; the controller deletes an instance's statuses when it takes the assignment away.
/// An endpoint is deleted only while it still holds what this machine wrote (a compare on
/// the value), so a new owner's endpoint is never removed by the old one.
///
/// A `Service`: ``run()`` follows the supervisor's changes and the membership's lease events
/// and writes, until cancelled or shut down gracefully.
package actor StatusPublisher: Service {
    /// Operations per transaction (etcd allows 128).
    public static let batchSize = 100

    private let store: any KeyValueStore
    private let layout: StoreLayout
    private let machineID: String
    private var lease: Int64 = 0
    private var known: [String: UnitStatus] = [:]
    private var dirty: Set<String> = []
    /// Keys to delete, with their instance.
    private var deleted: [String: String] = [:]
    /// Status keys by instance.
    private var unitsByInstance: [String: Set<String>] = [:]
    /// The endpoint key of each instance that has had an overlay address.
    private var endpointKeys: [String: String] = [:]
    /// Endpoints that should exist, by key.
    private var endpoints: [String: ServiceEndpoint] = [:]
    /// What this machine last wrote at each endpoint key (the guard of its deletion).
    private var written: [String: Bytes] = [:]
    private let signal: AsyncStream<Void>
    private let trigger: AsyncStream<Void>.Continuation

    private let changes: AsyncStream<UnitStatusChange>
    private let leaseEvents: AsyncStream<LeaseEvent>

    /// A publisher for `machineID`'s units, fed by `changes` (the supervisor's) and
    /// `leaseEvents` (a subscription to the membership's); call ``run()`` to start writing.
    package init(store: any KeyValueStore, layout: StoreLayout, machineID: String,
                 changes: AsyncStream<UnitStatusChange>, leaseEvents: AsyncStream<LeaseEvent>) {
        self.store = store
        self.layout = layout
        self.machineID = machineID
        self.changes = changes
        self.leaseEvents = leaseEvents
        (signal, trigger) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Records a status change; it is written on the next flush.
    func publish(_ status: UnitStatus) {
        let key = layout.status(instance: status.instance, unit: status.unit)
        known[key] = status
        dirty.insert(key)
        deleted[key] = nil
        unitsByInstance[status.instance, default: []].insert(key)
        refreshEndpoint(status.instance)
        trigger.yield()
    }

    /// Sets or clears the instance's endpoint from its units' statuses.
    private func refreshEndpoint(_ instance: String) {
        let statuses = (unitsByInstance[instance] ?? []).compactMap { known[$0] }
        if let first = statuses.first(where: { $0.address != nil }), let stack = first.stack {
            endpointKeys[instance] = layout.endpoint(stack: stack, instance: instance)
        }
        guard let key = endpointKeys[instance] else { return }
        let ready = !statuses.isEmpty && statuses.allSatisfy {
            $0.state == .running && ($0.health == nil || $0.health == .healthy) && $0.address != nil && $0.stack != nil
        }
        let ports = statuses.flatMap { $0.ports ?? [] }.sorted { $0.name < $1.name }
        let wanted = ready ? ServiceEndpoint(stack: statuses[0].stack!, instance: instance, machine: machineID, address: statuses[0].address!,
                                             ports: ports.isEmpty ? nil : ports) : nil
        if endpoints[key] != wanted {
            endpoints[key] = wanted
            dirty.insert(key)
        }
        if statuses.isEmpty { endpointKeys[instance] = nil; unitsByInstance[instance] = nil }
    }

    /// The statuses last published, by key.
    package var statuses: [UnitStatus] { Array(known.values) }

    /// Drops one unit's status from the store (the unit left the instance's spec).
    func remove(instance: String, unit: String) {
        let key = layout.status(instance: instance, unit: unit)
        known[key] = nil
        dirty.remove(key)
        deleted[key] = instance
        unitsByInstance[instance]?.remove(key)
        refreshEndpoint(instance)
        trigger.yield()
    }

    /// Uses `lease` from now on and writes every known status again under it.
    func leaseChanged(to lease: Int64) {
        self.lease = lease
        dirty.formUnion(known.keys)
        dirty.formUnion(endpoints.keys)
        trigger.yield()
    }

    /// Follows changes and lease events and flushes until cancelled or shut down gracefully.
    /// A failed flush keeps its changes and is retried.
    package func run() async {
        let changes = self.changes, leaseEvents = self.leaseEvents
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await change in changes {
                        switch change {
                        case .updated(let status): await self.publish(status)
                        case .removed(let instance, let unit): await self.remove(instance: instance, unit: unit)
                        }
                    }
                }
                group.addTask {
                    for await case .registered(let lease, _) in leaseEvents { await self.leaseChanged(to: lease) }
                }
                group.addTask { await self.flushWhenSignalled() }
                await group.waitForAll()
            }
        }
    }

    private func flushWhenSignalled() async {
        for await _ in signal {
            // Nothing can be written before the machine has a lease; leaseChanged signals.
            while lease != 0, !(dirty.isEmpty && deleted.isEmpty), !Task.isCancelled {
                if await flush() { continue }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    private func flush() async -> Bool {
        var ops: [RequestOp] = []
        let deletedKeys = Array(deleted.prefix(Self.batchSize))
        for (key, instance) in deletedKeys {
            ops.append(guarded(instance, .deleteRange(DeleteRangeRequest(key: Bytes(utf8: key)))))
        }
        var taken: [String] = []
        var writes: [String: Bytes?] = [:]
        for key in dirty.prefix(Self.batchSize - ops.count) {
            if let status = known[key] {
                ops.append(guarded(status.instance, .put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(status), lease: lease))))
            } else if let endpoint = endpoints[key] {
                let value = RecordCodec.encode(endpoint)
                ops.append(guarded(endpoint.instance, .put(PutRequest(key: Bytes(utf8: key), value: value, lease: lease))))
                writes[key] = .some(value)
            } else if let value = written[key] {
                ops.append(.txn(TxnRequest(compare: [Compare(key: Bytes(utf8: key), .value(value), .equal)],
                                           success: [.deleteRange(DeleteRangeRequest(key: Bytes(utf8: key)))])))
                writes[key] = .some(nil)
            }
            taken.append(key)
        }
        for key in taken { dirty.remove(key) }
        for (key, _) in deletedKeys { deleted[key] = nil }
        do {
            _ = try await store.txn(TxnRequest(success: ops))
            for (key, value) in writes { written[key] = value }
            return true
        } catch {
            for key in taken where known[key] != nil || endpoints[key] != nil || written[key] != nil { dirty.insert(key) }
            for (key, instance) in deletedKeys where known[key] == nil { deleted[key] = instance }
            return false
        }
    }

    /// `operation`, applied only while this machine is assigned `instance`.
    private func guarded(_ instance: String, _ operation: RequestOp) -> RequestOp {
        let assignment = Bytes(utf8: layout.assignment(machine: machineID, instance: instance))
        return .txn(TxnRequest(compare: [Compare(key: assignment, .createRevision(0), .greater)], success: [operation]))
    }
}
