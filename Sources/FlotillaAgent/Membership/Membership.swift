import Foundation
import FlotillaModel
import FlotillaStore
import Logging
import Metrics
import ServiceLifecycle

/// Keeps this machine registered: a lease (TTL default 5 s) with `machines/<id>` and
/// `usage/<id>` attached, renewed every TTL/3, usage reported every few seconds.
///
/// Self-fencing (DESIGN.md §6): when the lease has not been renewed for TTL minus the fencing
/// margin, it sends ``LeaseEvent/lapsed`` — the agent stops its exclusive units then, before
/// the lease can expire and the controller can place them elsewhere. When the lease is found
/// gone, the machine registers again with a new lease (``LeaseEvent/registered(lease:revision:)``).
///
/// A `Service`: it runs until cancelled or a graceful shutdown. It does not revoke its lease
/// when it stops: the lease expires after the TTL, and only then are instances moved, so an
/// agent restarted within the TTL (an upgrade) keeps its instances.
///
/// Time is an input: renewal intervals, the fencing deadline and the waits between attempts
/// are read from `clock` (a manual clock in tests). A store call that hangs is cut off after
/// a third of the TTL of real time (``withDeadline(_:_:_:)``), whatever the clock says.
package struct Membership<C: Clock>: Service where C.Duration == Duration {
    package struct Settings: Sendable, Hashable {
        /// Lease TTL in seconds.
        package var ttl: Int64
        /// Fence when this much of the TTL is left without a renewal.
        package var fencingMargin: Duration
        /// How often usage is reported.
        package var usageInterval: Duration

        /// Creates settings; the margin defaults to 40% of the TTL, at least 1 s.
        package init(ttl: Int64 = 5, fencingMargin: Duration? = nil, usageInterval: Duration = .seconds(3)) {
            self.ttl = ttl
            self.fencingMargin = fencingMargin ?? max(.seconds(1), .milliseconds(ttl * 400))
            self.usageInterval = usageInterval
        }
    }

    let store: any KeyValueStore
    let layout: StoreLayout
    /// What is registered under the lease.
    let record: MachineRecord
    let settings: Settings
    /// Where registrations, lapses and recoveries are announced.
    let events: LeaseEvents
    let logger: Logger
    /// Units running now, for usage reports.
    let unitsRunning: @Sendable () async -> Int
    /// Called after every registration and renewal with the CLOCK_MONOTONIC time (ns) until
    /// which the lease is surely alive, less half the fencing margin: the fence watchdog's
    /// deadline (``FenceFiles``). Measured from before the request was sent, so it is never
    /// later than the store's own expiry.
    let leaseAliveUntil: @Sendable (UInt64) -> Void
    let clock: C
    private let metrics = MembershipMetrics()

    /// The membership of `record`'s machine, announcing to `events`.
    package init(store: any KeyValueStore, layout: StoreLayout, record: MachineRecord, settings: Settings = Settings(),
                 events: LeaseEvents, logger: Logger, clock: C,
                 unitsRunning: @escaping @Sendable () async -> Int = { 0 },
                 leaseAliveUntil: @escaping @Sendable (UInt64) -> Void = { _ in }) {
        self.store = store; self.layout = layout; self.record = record; self.settings = settings
        self.events = events
        self.logger = logger
        self.clock = clock
        self.unitsRunning = unitsRunning
        self.leaseAliveUntil = leaseAliveUntil
    }

    /// Nanoseconds after a renewal request was sent until the watchdog fences: TTL less half
    /// the fencing margin (later than the agent's own fencing, earlier than the expiry).
    private var watchdogWindow: UInt64 {
        let window = Duration.seconds(settings.ttl) - settings.fencingMargin / 2
        return UInt64(window.components.seconds) * 1_000_000_000 + UInt64(window.components.attoseconds / 1_000_000_000)
    }

    /// Registers and stays registered until cancelled or shut down gracefully; announces
    /// every new lease, lapse and recovery to ``events`` (finished when this returns).
    ///
    /// Store errors are retried, never thrown: the agent keeps running its units while the
    /// store is away.
    package func run() async {
        defer { events.finish() }
        await cancelWhenGracefulShutdown { await stayRegistered() }
    }

    private func stayRegistered() async {
        var probe = UsageProbe(directory: NSTemporaryDirectory())
        var lease: Int64 = 0
        var lastRenewal = clock.now
        var lastUsage = clock.now.advanced(by: .zero - settings.usageInterval)
        var fenced = false
        var registrations = 0
        let renewEvery = Duration.milliseconds(settings.ttl * 1000 / 3)
        let ttl = Duration.seconds(settings.ttl)
        while !Task.isCancelled {
            do {
                let sent = FenceFiles.monotonicNow()
                if lease == 0 {
                    let (granted, revision) = try await register(number: registrations + 1)
                    registrations += 1
                    lease = granted
                    lastRenewal = clock.now
                    fenced = false
                    leaseAliveUntil(sent + watchdogWindow)
                    metrics.registrations.increment()
                    logger.info("registered", metadata: ["lease": "\(String(lease, radix: 16))", "revision": "\(revision)"])
                    events.send(.registered(lease: lease, revision: revision))
                } else if try await renew(lease) <= 0 {
                    lease = 0 // expired: the controller may already have moved our instances
                    metrics.misses.increment()
                    logger.warning("lease expired; registering again")
                    if !fenced { fenced = true; lapse() }
                    continue
                } else {
                    lastRenewal = clock.now
                    metrics.renewals.increment()
                    leaseAliveUntil(sent + watchdogWindow)
                    if fenced {
                        fenced = false
                        metrics.recoveries.increment()
                        logger.notice("lease renewed again before expiry; exclusive units may run")
                        events.send(.recovered)
                    }
                }
                if lastUsage.duration(to: clock.now) >= settings.usageInterval {
                    lastUsage = clock.now
                    let usage = probe.read(unitsRunning: await unitsRunning(), now: Date().timeIntervalSince1970)
                    _ = try await store.put(PutRequest(key: Bytes(utf8: layout.usage(record.id)),
                                                       value: RecordCodec.encode(usage), lease: lease))
                }
            } catch is CancellationError {
                return
            } catch {
                metrics.misses.increment()
                logger.debug("lease renewal failed: \(error)")
                if lastRenewal.duration(to: clock.now) >= ttl - settings.fencingMargin, !fenced {
                    fenced = true
                    lapse()
                }
                if lastRenewal.duration(to: clock.now) >= ttl { lease = 0 }
            }
            try? await clock.sleep(for: fenced ? .milliseconds(200) : min(renewEvery, .milliseconds(500)))
        }
    }

    private func lapse() {
        metrics.lapses.increment()
        logger.warning("lease not renewed in time; stopping exclusive units (self-fencing)")
        events.send(.lapsed)
    }

    /// Grants a fresh lease and writes the machine record under it (and its lease-less copy at
    /// `members/<id>`, which lists the machine while it is down), saying which
    /// registration of this agent it is and when (the controller's storm guard counts
    /// machines that came back after losing their lease); returns the lease and the
    /// registration's revision.
    private func register(number: Int) async throws -> (Int64, Int64) {
        let limit = Duration.seconds(settings.ttl)
        let lease = try await withDeadline(limit, "lease grant") { [store, settings] in
            try await store.leaseGrant(ttl: settings.ttl, id: 0).id
        }
        var current = record
        current.registration = number
        current.registeredAt = Date().timeIntervalSince1970
        let key = Bytes(utf8: layout.machine(record.id)), value = RecordCodec.encode(current)
        let member = Bytes(utf8: layout.member(record.id))
        let put = try await withDeadline(limit, "machine registration") { [store] in
            try await store.txn(TxnRequest(success: [.put(PutRequest(key: key, value: value, lease: lease)),
                                                     .put(PutRequest(key: member, value: value))]))
        }
        return (lease, put.header.revision)
    }

    /// One keep-alive, cut off after a third of the TTL so fencing is checked in time.
    private func renew(_ lease: Int64) async throws -> Int64 {
        try await withDeadline(.milliseconds(settings.ttl * 1000 / 3), "lease keep-alive") { [store] in
            try await store.leaseKeepAlive(id: lease).ttl
        }
    }
}
