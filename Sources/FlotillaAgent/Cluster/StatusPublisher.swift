import FlotillaModel
import FlotillaStore

/// Writes unit status changes to `status/<instance>/<unit>` under the machine's lease.
///
/// Changes are coalesced (only the newest status of a unit is written) and flushed in
/// transactions of up to ``batchSize`` puts, so a machine starting a thousand units makes a
/// handful of writes, not a thousand. When the machine's lease changes (it registered again),
/// every known status is written again under the new lease.
public actor StatusPublisher {
    /// Puts per transaction (etcd allows 128 operations).
    public static let batchSize = 100

    private let store: any KeyValueStore
    private let layout: StoreLayout
    private var lease: Int64 = 0
    private var known: [String: UnitStatus] = [:]
    private var dirty: Set<String> = []
    private var forgotten: Set<String> = []
    private var deleted: Set<String> = []
    private let signal: AsyncStream<Void>
    private let trigger: AsyncStream<Void>.Continuation

    /// Creates a publisher; call ``run()`` to start writing.
    public init(store: any KeyValueStore, layout: StoreLayout) {
        self.store = store
        self.layout = layout
        (signal, trigger) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Records a status change; it is written on the next flush.
    public func publish(_ status: UnitStatus) {
        let key = layout.status(instance: status.instance, unit: status.unit)
        known[key] = status
        dirty.insert(key)
        deleted.remove(key)
        trigger.yield()
    }

    /// The statuses last published, by key.
    public var statuses: [UnitStatus] { Array(known.values) }

    /// Drops one unit's status from the store (it left this machine).
    public func remove(instance: String, unit: String) {
        let key = layout.status(instance: instance, unit: unit)
        known[key] = nil
        dirty.remove(key)
        deleted.insert(key)
        trigger.yield()
    }

    /// Drops an instance's statuses from the store (it left this machine).
    public func forget(instance: String) {
        let prefix = layout.statuses(of: instance)
        for key in known.keys where key.hasPrefix(prefix) {
            known[key] = nil
            dirty.remove(key)
        }
        forgotten.insert(instance)
        trigger.yield()
    }

    /// Uses `lease` from now on and writes every known status again under it.
    public func leaseChanged(to lease: Int64) {
        self.lease = lease
        dirty.formUnion(known.keys)
        trigger.yield()
    }

    /// Flushes changes until cancelled. A failed flush keeps its changes and is retried.
    public func run() async {
        for await _ in signal {
            // Nothing can be written before the machine has a lease; leaseChanged signals.
            while lease != 0, !(dirty.isEmpty && forgotten.isEmpty && deleted.isEmpty), !Task.isCancelled {
                if await flush() { continue }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    private func flush() async -> Bool {
        var ops: [RequestOp] = []
        var taken: [String] = []
        var droppedInstances: [String] = []
        for instance in forgotten.prefix(Self.batchSize) {
            let prefix = Bytes(utf8: layout.statuses(of: instance))
            ops.append(.deleteRange(DeleteRangeRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(prefix))))
            droppedInstances.append(instance)
        }
        var deletedKeys: [String] = []
        for key in deleted.prefix(Self.batchSize - ops.count) {
            ops.append(.deleteRange(DeleteRangeRequest(key: Bytes(utf8: key))))
            deletedKeys.append(key)
        }
        let droppedPrefixes = droppedInstances.map { layout.statuses(of: $0) } + deletedKeys
        // A put inside a deleted range in one txn is refused ("duplicate key"): such puts wait
        // for the next flush.
        for key in dirty.prefix(Self.batchSize - ops.count) where !droppedPrefixes.contains(where: key.hasPrefix) {
            guard let status = known[key] else { continue }
            ops.append(.put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(status), lease: lease)))
            taken.append(key)
        }
        for key in taken { dirty.remove(key) }
        for instance in droppedInstances { forgotten.remove(instance) }
        for key in deletedKeys { deleted.remove(key) }
        do {
            _ = try await store.txn(TxnRequest(success: ops))
            return true
        } catch {
            for key in taken where known[key] != nil { dirty.insert(key) }
            forgotten.formUnion(droppedInstances)
            deleted.formUnion(deletedKeys.filter { known[$0] == nil })
            return false
        }
    }
}
