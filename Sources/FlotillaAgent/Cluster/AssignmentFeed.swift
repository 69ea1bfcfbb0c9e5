import Foundation
import FlotillaModel
import FlotillaStore
import Logging
import ServiceLifecycle

/// Follows this machine's assignments, and only them, and hands them to the supervisor:
/// one range of `assign/<id>/`, then a watch on that prefix (DESIGN.md §5 — fleet's agents
/// re-read the whole registry; ours never read another machine's keys).
///
/// - Level-triggered: every delivery is the complete current set, with each assignment's
///   fencing token filled in from its key's mod revision. (Machine specifiers `%m %H %b` are
///   the supervisor's business: it expands them when it runs a command.)
/// - In revision order only: a set read at an older revision than one already delivered
///   (an old watch delivery racing a fresh read) is dropped, so it can never restart what a
///   newer set stopped.
/// - Fencing follows the lease (``LeaseEvent``): on a lapse the supervisor stops its
///   exclusive units; after a new registration at revision R the assignments are read again
///   as of at least R before the fence is lifted — a move the controller committed while the
///   lease was gone is seen (our assignment deleted) before anything exclusive starts; after
///   the registration the controller can no longer move our instances.
///
/// A `Service`. On a graceful shutdown it stops every unit first when `stopsUnitsOnShutdown`
/// (`flotilla dev`), and otherwise leaves them running for the next agent to adopt.
package struct AssignmentFeed: Service {
    let store: any KeyValueStore
    let layout: StoreLayout
    let machineID: String
    let supervisor: Supervisor
    let leaseEvents: AsyncStream<LeaseEvent>
    let stopsUnitsOnShutdown: Bool
    let logger: Logger
    private let gate: Gate

    /// A feed for `machineID` into `supervisor`, reacting to `leaseEvents` (a subscription
    /// to the membership's ``LeaseEvents``).
    package init(store: any KeyValueStore, layout: StoreLayout, machineID: String, supervisor: Supervisor,
                 leaseEvents: AsyncStream<LeaseEvent>, stopsUnitsOnShutdown: Bool = false, logger: Logger) {
        self.store = store; self.layout = layout; self.machineID = machineID; self.supervisor = supervisor
        self.leaseEvents = leaseEvents
        self.stopsUnitsOnShutdown = stopsUnitsOnShutdown
        self.logger = logger
        gate = Gate(supervisor: supervisor)
    }

    /// Delivers assignments and follows the lease until cancelled or shut down.
    package func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await follow() }
                group.addTask { await followLease() }
                await group.waitForAll()
            }
        }
        if stopsUnitsOnShutdown { await stopUnits() }
    }

    /// The watch loop. A broken watch (store restart, compaction) starts over with a fresh
    /// read; records that don't decode are logged and skipped.
    private func follow() async {
        let prefix = Bytes(utf8: layout.assignments(of: machineID))
        while !Task.isCancelled {
            do {
                let first = try await store.range(.prefix(prefix))
                var current: [String: Assignment] = [:]
                for kv in first.kvs { if let a = decode(kv) { current[a.instance] = a } }
                await gate.deliver(sorted(current), at: first.header.revision)
                let watch = try await store.watch(WatchCreateRequest(
                    key: prefix, rangeEnd: KeyRange.prefixEnd(prefix), startRevision: first.header.revision + 1))
                defer { watch.cancel() }
                for try await response in watch where !response.events.isEmpty {
                    for event in response.events {
                        let instance = String(event.kv.key.utf8String.dropFirst(prefix.count))
                        if event.type == .delete { current[instance] = nil }
                        else if let a = decode(event.kv) { current[a.instance] = a }
                    }
                    await gate.deliver(sorted(current), at: response.header.revision)
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("assignment watch failed; reading again in 1s", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func followLease() async {
        for await event in leaseEvents {
            switch event {
            case .lapsed: await supervisor.fence()
            case .recovered: await supervisor.unfence()
            case .registered(_, let revision): await resync(after: revision)
            }
        }
    }

    /// Applies this machine's assignments as of at least `revision`, then lifts any fence.
    private func resync(after revision: Int64) async {
        let prefix = Bytes(utf8: layout.assignments(of: machineID))
        while !Task.isCancelled {
            do {
                let response = try await store.range(.prefix(prefix))
                let assignments = response.kvs.compactMap(decode)
                await gate.deliver(assignments.sorted { $0.instance < $1.instance }, at: max(response.header.revision, revision))
                await supervisor.unfence()
                return
            } catch {
                logger.warning("reading assignments after registration failed; retrying",
                               metadata: ["error": "\(error)", "revision": "\(revision)"])
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Stops every unit (with ExecStop and TimeoutStopSec) and returns once they are down,
    /// ignoring assignments from then on.
    private func stopUnits() async {
        await gate.close()
        logger.info("stopping every unit")
        while !Task.isCancelled {
            let up = await supervisor.statuses().contains { !($0.state == .exited || $0.state == .failed) }
            let aside = await supervisor.asideRunsAlive
            guard up || aside else { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func sorted(_ current: [String: Assignment]) -> [Assignment] {
        current.values.sorted { $0.instance < $1.instance }
    }

    private func decode(_ kv: KeyValue) -> Assignment? {
        do {
            var assignment = try RecordCodec.decode(Assignment.self, from: kv.value, key: kv.key.utf8String)
            assignment.fencingToken = kv.modRevision
            return assignment
        } catch {
            logger.error("skipping an assignment that does not decode", metadata: ["key": "\(kv.key.utf8String)", "error": "\(error)"])
            return nil
        }
    }

    /// Hands assignment sets to the supervisor in revision order only.
    private actor Gate {
        private let supervisor: Supervisor
        private var revision: Int64 = 0
        private var closed = false

        init(supervisor: Supervisor) { self.supervisor = supervisor }

        /// Applies `assignments` read at `revision` unless something newer was applied already.
        func deliver(_ assignments: [Assignment], at revision: Int64) async {
            guard !closed, revision >= self.revision else { return }
            self.revision = revision
            await supervisor.apply(assignments)
        }

        /// Stops every unit and ignores assignments from now on.
        func close() async {
            closed = true
            await supervisor.apply([])
        }
    }
}
