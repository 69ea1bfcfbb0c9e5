import Foundation
import FlotillaModel
import FlotillaStore
import Logging
import ServiceLifecycle

/// The controller every agent runs: it campaigns for the `leader` key (lowest create
/// revision wins) and, while it leads, runs the ``ReconcileLoop``. Only the leader writes
/// assignments, and every write compares its leader key (DESIGN.md §6).
///
/// A `Service`: it campaigns and leads until cancelled or shut down gracefully.
public struct Controller: Service {
    /// The store.
    public let store: any KeyValueStore
    /// Where records live.
    public let layout: StoreLayout
    /// This machine's ID (the candidate's value).
    public let machineID: String
    /// Lease TTL of the candidacy, seconds: a dead leader is replaced after at most this.
    public let ttl: Int64
    /// Loop tuning.
    public let settings: ReconcileLoop.Settings
    /// Where terms and failed passes are logged.
    public let logger: Logger

    /// Creates a controller.
    public init(store: any KeyValueStore, layout: StoreLayout, machineID: String, ttl: Int64 = 5,
                settings: ReconcileLoop.Settings = .init(), logger: Logger = Logger(label: "flotilla.controller")) {
        self.store = store; self.layout = layout; self.machineID = machineID; self.ttl = ttl; self.settings = settings
        self.logger = logger
    }

    /// Campaigns, leads, and campaigns again after losing leadership, until cancelled or shut
    /// down gracefully. Store errors end the current term and are retried after a second.
    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await term()
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("term ended; campaigning again in 1s", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// One term: win the election, lead until the session ends or a guarded write fails.
    private func term() async throws {
        let session = try await Session(store: store, ttl: ttl)
        let election = Election(session: session, prefix: layout.leader)
        do {
            let leaderGuard = try await election.campaign(Bytes(utf8: machineID))
            logger.info("leading", metadata: ["revision": "\(leaderGuard.createRevision)"])
            let loop = ReconcileLoop(store: store, layout: layout, machineID: machineID, settings: settings)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await loop.run(as: leaderGuard) }
                group.addTask { _ = try await session.done }
                _ = try await group.next()
                group.cancelAll()
            }
            try? await election.resign()
            try? await session.close()
        } catch {
            try? await session.close()
            throw error
        }
    }
}
