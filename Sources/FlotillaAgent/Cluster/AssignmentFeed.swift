import Foundation
import FlotillaModel
import FlotillaStore

/// Follows this machine's assignments, and only them: one range of `assign/<id>/`, then a
/// watch on that prefix (DESIGN.md §5 — fleet's agents re-read the whole registry; ours
/// never read another machine's keys).
///
/// Level-triggered: every delivery is the complete current set, with each assignment's
/// fencing token filled in from its key's mod revision. (Machine specifiers `%m %H %b` are
/// the supervisor's business: it expands them when it runs a command.)
public struct AssignmentFeed: Sendable {
    /// The store.
    public let store: any KeyValueStore
    /// Where records live.
    public let layout: StoreLayout
    /// This machine.
    public let machineID: String

    /// Creates a feed.
    public init(store: any KeyValueStore, layout: StoreLayout, machineID: String) {
        self.store = store; self.layout = layout; self.machineID = machineID
    }

    /// Delivers the full set after the first read and after every change, until cancelled.
    /// A broken watch (store restart, compaction) starts over with a fresh read; records that
    /// don't decode are reported through `onError` and skipped.
    public func run(deliver: @escaping @Sendable ([Assignment], Int64) async -> Void,
                    onError: @escaping @Sendable (String) -> Void = { _ in }) async {
        let prefix = Bytes(utf8: layout.assignments(of: machineID))
        while !Task.isCancelled {
            do {
                let first = try await store.range(.prefix(prefix))
                var current: [String: Assignment] = [:]
                for kv in first.kvs { if let a = decode(kv, onError) { current[a.instance] = a } }
                await deliver(sorted(current), first.header.revision)
                let watch = try await store.watch(WatchCreateRequest(
                    key: prefix, rangeEnd: KeyRange.prefixEnd(prefix), startRevision: first.header.revision + 1))
                defer { watch.cancel() }
                for try await response in watch where !response.events.isEmpty {
                    for event in response.events {
                        let instance = String(event.kv.key.utf8String.dropFirst(prefix.count))
                        if event.type == .delete { current[instance] = nil }
                        else if let a = decode(event.kv, onError) { current[a.instance] = a }
                    }
                    await deliver(sorted(current), response.header.revision)
                }
            } catch is CancellationError {
                return
            } catch {
                onError("assignment watch: \(error); reading again in 1s")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func sorted(_ current: [String: Assignment]) -> [Assignment] {
        current.values.sorted { $0.instance < $1.instance }
    }

    private func decode(_ kv: KeyValue, _ onError: @Sendable (String) -> Void) -> Assignment? {
        do {
            var assignment = try RecordCodec.decode(Assignment.self, from: kv.value, key: kv.key.utf8String)
            assignment.fencingToken = kv.modRevision
            return assignment
        } catch {
            onError("\(error)")
            return nil
        }
    }
}
