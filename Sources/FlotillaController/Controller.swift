import Foundation
import FlotillaModel
import FlotillaStore
import Logging
import ServiceLifecycle

/// The controller every agent runs: it campaigns for the `leader` key (lowest create
/// revision wins) and, while it leads, runs the ``ReconcileLoop``. Only the leader writes
/// assignments and decision records, and every write compares its leader key (DESIGN.md §6).
///
/// A `Service`: ``run()`` campaigns, leads and campaigns again after losing leadership until
/// its task is cancelled or the service group shuts down gracefully.
public struct Controller: Service {
    public let store: any KeyValueStore
    public let layout: StoreLayout
    /// This machine's ID (the candidate's value).
    public let machineID: String
    /// Lease TTL of the candidacy, seconds: a dead leader is replaced after at most this.
    public let ttl: Int64
    /// Loop tuning.
    public let settings: ReconcileLoop.Settings
    /// Elections won and lost, failing passes; carries `machine` metadata.
    public let logger: Logger

    /// Creates a controller. `logger` gets this machine's ID as `machine` metadata unless it
    /// has one.
    public init(store: any KeyValueStore, layout: StoreLayout, machineID: String, ttl: Int64 = 5,
                settings: ReconcileLoop.Settings = .init(), logger: Logger = Logger(label: "flotilla.controller")) {
        self.store = store; self.layout = layout; self.machineID = machineID; self.ttl = ttl
        var settings = settings
        settings.storm.ttl = Double(ttl)   // the agents' lease TTL, which is also the candidacy's
        self.settings = settings
        var logger = logger
        if logger[metadataKey: "machine"] == nil { logger[metadataKey: "machine"] = "\(machineID)" }
        self.logger = logger
    }

    /// Campaigns, leads, and campaigns again after losing leadership, until cancelled or a
    /// graceful shutdown (a leader then resigns, so another machine takes over at once).
    /// Store errors end the current term and are retried after a second.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.campaign() }
    }

    /// The terms, one after the other, until cancelled.
    private func campaign() async {
        while !Task.isCancelled {
            do {
                try await term()
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.error("controller term failed; campaigning again in 1s", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// One term: win the election, lead until the session ends or a guarded write fails.
    /// The session (its keep-alive a child of this term) is closed when the term ends.
    private func term() async throws {
        try await Session.with(store: store, ttl: ttl) { session in
            let election = Election(session: session, prefix: layout.leader)
            let leaderGuard = try await election.campaign(Bytes(utf8: machineID))
            logger.notice("won the controller election; leading", metadata: ["revision": "\(leaderGuard.createRevision)"])
            let loop = ReconcileLoop(store: store, layout: layout, machineID: machineID, settings: settings, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await loop.run(as: leaderGuard) }
                group.addTask { _ = try await session.done }
                _ = try await group.next()
                group.cancelAll()
            }
            logger.notice("no longer leading the controller", metadata: ["revision": "\(leaderGuard.createRevision)"])
            try? await election.resign()
        }
    }
}
