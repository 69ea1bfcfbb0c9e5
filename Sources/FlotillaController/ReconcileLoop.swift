import Foundation
import FlotillaModel
import FlotillaScheduler
import FlotillaStore
import Logging
import Synchronization

/// The leader's level-triggered loop: watches machines, stacks, assignments, cordons,
/// promotions, the keys the stacks' `env_from` reads and the unit statuses of stacks that
/// roll out or reschedule; on any change (debounced), every resync interval, or every second while a
/// rollout is active, re-reads the cluster, reconciles and commits the decision under the
/// leader key.
public struct ReconcileLoop: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Wait after a change before reading, so bursts coalesce into one pass.
        public var debounce: Duration
        /// Reconcile at least this often even without changes.
        public var resync: Duration
        /// How the scheduler ranks machines.
        public var strategy: ScoringStrategy
        /// TTL of the lease events are written under (old events age out).
        public var eventTTL: Int64
        /// How often an active rollout (or a storm's held machines) is looked at again without
        /// a store change.
        public var rolloutRecheck: Duration = .seconds(1)
        /// When a mass lease loss holds moves back (``StormGuard``); the controller sets its
        /// `ttl` to the machines' lease TTL.
        public var storm = StormGuard.Settings()

        /// Creates settings.
        public init(debounce: Duration = .milliseconds(10), resync: Duration = .seconds(5),
                    strategy: ScoringStrategy = .binpack, eventTTL: Int64 = 3600) {
            self.debounce = debounce; self.resync = resync; self.strategy = strategy; self.eventTTL = eventTTL
        }
    }

    public let store: any KeyValueStore
    public let layout: StoreLayout
    /// The leader's machine ID.
    public let machineID: String
    public let settings: Settings
    /// Where passes that change something, and unplaced instances, are logged.
    public let logger: Logger

    public init(store: any KeyValueStore, layout: StoreLayout, machineID: String, settings: Settings = Settings(),
                logger: Logger = Logger(label: "flotilla.controller")) {
        self.store = store; self.layout = layout; self.machineID = machineID; self.settings = settings; self.logger = logger
    }

    /// Runs while `leader` holds. Returns when a guarded write fails (leadership lost); throws
    /// on store errors; ends on cancellation.
    public func run(as leader: LeaderGuard) async throws {
        let reader = ClusterReader(store: store, layout: layout, remembering: true)
        let commit = PlanCommit(store: store, layout: layout)
        var eventLease = try await store.leaseGrant(ttl: settings.eventTTL, id: 0).id
        var eventLeaseGranted = ContinuousClock.now
        var sequence: UInt64 = 0
        let metrics = ReconcileMetrics()
        let clock = ContinuousClock()
        let (signal, trigger) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for prefix in [layout.machines, layout.stacks, layout.assignments, layout.cordons, layout.promotions] {
                let watch = try await store.watch(WatchCreateRequest(key: Bytes(utf8: prefix), rangeEnd: KeyRange.prefixEnd(Bytes(utf8: prefix))))
                group.addTask {
                    defer { watch.cancel() }
                    for try await response in watch where !response.events.isEmpty { trigger.yield() }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: settings.resync)
                    trigger.yield()
                }
            }
            // While a rollout is active, decide again every second: its replaced instances
            // count as healthy only after `min_healthy_time`, with nothing written meanwhile.
            let rolling = Atomic<Bool>(false)
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: settings.rolloutRecheck)
                    if rolling.load(ordering: .relaxed) { trigger.yield() }
                }
            }
            trigger.yield()
            var pass: UInt64 = 0
            var storm = StormGuard(settings: settings.storm)
            /// The `env_from` entries watched now: a changed value is a new decision.
            var environmentWatches: [String: WatchStream] = [:]
            /// The unit statuses of stacks whose rollout is active or that reschedule, by stack.
            var statusWatches: [String: WatchStream] = [:]
            defer { for watch in environmentWatches.values { watch.cancel() } }
            defer { for watch in statusWatches.values { watch.cancel() } }
            for await _ in signal {
                try await Task.sleep(for: settings.debounce)
                pass += 1
                let started = clock.now
                let state = try await reader.read()
                let entries = Set(StoreEnvironment.entries(in: state.stacks))
                for (entry, watch) in environmentWatches where !entries.contains(entry) {
                    watch.cancel()
                    environmentWatches[entry] = nil
                }
                for entry in entries.sorted() where environmentWatches[entry] == nil {
                    let range = StoreEnvironment.range(of: entry)
                    let watch = try await store.watch(WatchCreateRequest(key: range.key, rangeEnd: range.rangeEnd,
                                                                         startRevision: state.revision + 1))
                    environmentWatches[entry] = watch
                    group.addTask {
                        for try await response in watch where !response.events.isEmpty { trigger.yield() }
                    }
                }
                let now = Date().timeIntervalSince1970
                let live = Set(state.machines.map(\.id))
                let dead = Set(state.assignments.values.map(\.assignment.machine)).subtracting(live)
                var lapsing = Set(state.machines.filter {
                    ($0.registration ?? 1) > 1 && ($0.registeredAt ?? 0) > now - settings.storm.ttl
                }.map(\.id))
                if storm.stormSince == nil, !dead.subtracting(storm.lostAt.keys).isEmpty {
                    lapsing.formUnion(await leasesRunningOut(state, alive: live))
                }
                let stormStarted = storm.observe(alive: live, dead: dead, lapsing: lapsing, now: now)
                let options = Reconciler.Options(leader: machineID, now: now,
                                                 strategy: settings.strategy, seed: UInt64(state.revision) &+ pass,
                                                 layout: layout, held: storm.held)
                var decision = Reconciler.reconcile(state, options: options)
                if stormStarted { decision.events.append(stormEvent(storm, alive: live.count, dead: dead.count, now: now)) }
                rolling.store(!decision.rolling.isEmpty || !storm.held.isEmpty || decision.rescheduling, ordering: .relaxed)
                // A rolling stack's unit statuses decide when its next instance is replaced, and
                // a failing instance of a stack with `reschedule:` moves: watch them, so a
                // replaced instance that comes up, or a unit that fails, is seen at once.
                let statusStacks = decision.rolling.union(state.reschedulingStacks)
                for (stack, watch) in statusWatches where !statusStacks.contains(stack) {
                    watch.cancel()
                    statusWatches[stack] = nil
                }
                for stack in statusStacks.sorted() where statusWatches[stack] == nil {
                    let prefix = Bytes(utf8: layout.statuses + stack)
                    let watch = try await store.watch(WatchCreateRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(prefix),
                                                                         startRevision: state.revision + 1))
                    statusWatches[stack] = watch
                    group.addTask {
                        for try await response in watch where !response.events.isEmpty { trigger.yield() }
                    }
                }
                defer { metrics.pass(took: clock.now - started, decision) }
                if decision.isEmpty && decision.events.isEmpty { continue }
                log(decision, at: state.revision)
                // Events live under a lease so they age out; a new lease every half TTL keeps
                // the newest events alive for at least half the TTL.
                if ContinuousClock.now - eventLeaseGranted > .seconds(settings.eventTTL / 2) {
                    eventLease = try await store.leaseGrant(ttl: settings.eventTTL, id: 0).id
                    eventLeaseGranted = ContinuousClock.now
                }
                switch try await commit.commit(decision, leader: leader) {
                case .lostLeadership:
                    logger.notice("leadership lost while committing; this controller stops writing",
                                  metadata: ["revision": "\(state.revision)"])
                    group.cancelAll()
                    return
                case .conflict:
                    logger.info("a machine treated as dead registered again; deciding again",
                                metadata: ["revision": "\(state.revision)",
                                           "machines": "\(decision.deadMachines.sorted().joined(separator: ","))"])
                    trigger.yield()
                    continue
                case .committed: metrics.committed(decision)
                }
                guard try await commit.revert(decision.reverts, leader: leader, at: options.now) else {
                    logger.notice("leadership lost while reverting a failed rollout; this controller stops writing",
                                  metadata: ["revision": "\(state.revision)"])
                    group.cancelAll()
                    return
                }
                guard try await commit.record(decision.events, lease: eventLease, leader: leader, sequence: &sequence) else { break }
            }
            group.cancelAll()
        }
    }

    /// Alive machines whose lease has at most a third of its TTL left (the store answers whole
    /// seconds, rounded towards zero; negative or -1 when the lease ran out or was revoked
    /// after the state was read): an agent renews every third of the TTL, so such a machine has
    /// missed renewals — cut off with the ones that just died, most likely: leases of machines
    /// cut off together expire within one renewal interval of each other. Asked only when a
    /// machine newly died outside a storm; the machines are asked at once.
    private func leasesRunningOut(_ state: ClusterState, alive: Set<String>) async -> Set<String> {
        let threshold = settings.storm.ttl / 3
        return await withTaskGroup(of: String?.self) { group in
            for id in alive {
                guard let lease = state.machineLeases[id] else { continue }
                group.addTask { [store] in
                    guard let left = try? await store.leaseTimeToLive(id: lease, keys: false).ttl else { return nil }
                    return Double(left) <= threshold ? id : nil
                }
            }
            var result: Set<String> = []
            for await id in group { if let id { result.insert(id) } }
            return result
        }
    }

    /// The event (and warning) of a storm that started: what is held, and for how long.
    private func stormEvent(_ storm: StormGuard, alive: Int, dead: Int, now: Double) -> EventRecord {
        let grace = storm.settings.grace, ttl = storm.settings.ttl
        let message = "\(dead) of \(alive + dead) machines lost their leases within one TTL (\(Int(ttl)) s): more than "
            + "\(Int(storm.settings.share * 100))% at once looks like the store, not the machines; their instances stay "
            + "where they are for \(Int(grace)) s (the machines that register again keep them), then one machine's "
            + "instances move every \(Int(ttl)) s"
        logger.warning("lease storm: holding moves", metadata: ["dead": "\(dead)", "alive": "\(alive)", "grace": "\(grace)"])
        return EventRecord(at: now, kind: "storm", message: message, source: machineID)
    }

    /// One line per pass that writes, and one per instance that became unplaced.
    private func log(_ decision: Decision, at revision: Int64) {
        logger.debug("reconcile pass decided", metadata: [
            "revision": "\(revision)", "writes": "\(decision.writes.count)", "unplaced": "\(decision.unplaced.count)",
        ])
        for event in decision.events where event.kind == "unplaced" {
            logger.info("instance unplaced", metadata: [
                "stack": "\(event.stack ?? "")", "instance": "\(event.instance ?? "")", "revision": "\(revision)",
                "reason": "\(event.message)",
            ])
        }
    }
}
