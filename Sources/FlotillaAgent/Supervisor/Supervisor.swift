import FlotillaModel
import Foundation
import Logging
import ServiceLifecycle

/// Runs the units assigned to this machine, with systemd semantics (``UnitLifecycle``),
/// through a ``UnitDriver``.
///
/// - ``apply(_:)`` is level-triggered: give it every current assignment of this machine.
/// - ``run()`` must be running for process ends and timers to be handled (it is the
///   supervisor's `Service` loop; cancelling it or shutting it down gracefully leaves the
///   units running for the next agent run to adopt).
/// - ``changes`` publishes every status change, in order, for `status/<instance>/<unit>`.
/// - Timers use the wall clock (seconds since 1970) and one dispatch timer for all units;
///   the lifecycle itself is pure and tested with a manual clock.
package actor Supervisor: Service {
    let configuration: SupervisorConfiguration
    let driver: any UnitDriver
    let journal: Journal
    let records: RunRecordStore
    let launch: UnitLaunch
    var instances: [String: InstanceRun]
    /// False until the first ``apply(_:)``: adopted units are watched but nothing starts.
    var applied = false
    /// Set by ``fence()``: exclusive units only start for assignments newer than this token.
    var fenceToken: Int64?
    var fenceWaiters: [CheckedContinuation<Void, Never>] = []
    /// The exclusive units last listed for the fence watchdog.
    var listedExclusive: [FencedUnit]?
    /// The units of stacks with a `disconnect` policy last listed for the fence watchdog (nil
    /// before the first listing, which always writes: an earlier agent's list may be stale).
    var listedDisconnect: [FencedUnit]?
    /// Set by ``fence()``: when the lease lapsed (wall clock), until ``unfence()``.
    var lapsedAt: Double?
    /// The last probe serial handed out (``takeProbeSerial()``).
    var probeSerials = 0
    /// Instances to reconcile and publish at the next ``settle(now:)``.
    var dirty: Set<String> = []
    var leftoverCgroups: [CgroupPlacement] = []
    var nextHousekeeping: Double
    let timer: TickTimer
    var timerDeadline: Double?
    /// Things the run loop handles.
    enum Message: Sendable {
        case exited(instance: String, unit: String, process: ProcessHandle, ProcessExit)
        case probed(instance: String, unit: String, serial: Int, healthy: Bool)
        case tick
    }
    let inbox: AsyncStream<Message>
    let inboxSink: AsyncStream<Message>.Continuation
    let changeSink: AsyncStream<UnitStatusChange>.Continuation
    let metrics = SupervisorMetrics()

    /// Every status change, oldest first. A reader that falls more than 4 096 changes behind
    /// loses the oldest; ``statuses()`` gives the whole current picture to resync from.
    package nonisolated let changes: AsyncStream<UnitStatusChange>

    /// A supervisor over `configuration.stateDirectory`. Units that an earlier agent run left
    /// running are adopted at once (by pid and start time, never started twice); those whose
    /// process died are reset. Nothing new starts before the first ``apply(_:)``, which also
    /// stops adopted units that are no longer assigned here.
    package init(configuration: SupervisorConfiguration, driver: any UnitDriver) {
        self.configuration = configuration
        self.driver = driver
        journal = Journal(directory: configuration.journalDirectory, settings: configuration.journal)
        records = RunRecordStore(directory: configuration.recordDirectory)
        launch = UnitLaunch(facts: ExecExpansion.MachineFacts(machineID: configuration.machine,
                                                               hostname: configuration.hostname, bootID: configuration.bootID))
        (inbox, inboxSink) = AsyncStream.makeStream(of: Message.self)
        let sink = inboxSink
        timer = TickTimer { sink.yield(.tick) }
        (changes, changeSink) = AsyncStream.makeStream(of: UnitStatusChange.self, bufferingPolicy: .bufferingNewest(4_096))
        let now = Date().timeIntervalSince1970
        nextHousekeeping = now + configuration.housekeepingInterval
        instances = Recovery(driver: driver, records: records, sink: inboxSink, now: now).adopt()
        journal.prepare(live: Set(instances.keys))
        dirty = Set(instances.keys)
    }

    deinit {
        timer.cancel()
        inboxSink.finish()
        changeSink.finish()
    }

    /// The service loop: handles process ends and timers until the task is cancelled or the
    /// service group shuts down gracefully.
    package func run() async {
        await cancelWhenGracefulShutdown { await self.handleMessages() }
    }

    private func handleMessages() async {
        settle(now: Self.now())
        for await message in inbox {
            let now = Self.now()
            switch message {
            case .exited(let instance, let unit, let process, let status):
                // A run moved aside (start-before-stop) hears of its processes under the
                // instance's name, as they were started.
                guard let owner = owner(of: instance, unit, { $0.main == process || $0.control == process }) else { continue }
                deliver(.exited(pid: process.pid, status), to: owner, unit, now: now)
            case .probed(let instance, let unit, let serial, let healthy):
                guard let owner = owner(of: instance, unit, { $0.probeSerial == serial }) else { continue }
                dirty.insert(owner)
                probeFinished(instance: owner, unit: unit, serial: serial, healthy: healthy, now: now)
            case .tick:
                tick(now: now)
            }
            settle(now: now)
        }
    }

    /// The status of every unit on this machine, by instance then unit.
    package func statuses() -> [UnitStatus] {
        instances.keys.sorted().filter { Self.retiredInstance($0) == nil }.flatMap { name in
            instances[name]!.order.compactMap { instances[name]!.units[$0].map { status(of: $0, in: name) } }
        }
    }

    /// One unit's status.
    package func status(instance: String, unit: String) -> UnitStatus? {
        instances[instance]?.units[unit].map { status(of: $0, in: instance) }
    }

    /// A reader for one unit's journal.
    package nonisolated func journalReader(instance: String, unit: String) -> JournalReader {
        Journal(directory: configuration.journalDirectory, settings: configuration.journal).reader(instance: instance, unit: unit)
    }

    /// Wall-clock seconds since 1970.
    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Delivers due ticks and runs housekeeping when it is time.
    private func tick(now: Double) {
        timerDeadline = nil
        for name in instances.keys.sorted() {
            for unit in instances[name]!.order where (instances[name]!.units[unit]?.lifecycle.deadline ?? .infinity) <= now {
                deliver(.tick, to: name, unit, now: now)
            }
        }
        for (name, run) in instances where run.target == .run && run.units.values.contains(where: { ($0.nextRun ?? .infinity) <= now }) {
            dirty.insert(name)
        }
        runDueProbes(now: now)
        stopDisconnected(now: now)
        for (name, run) in instances where run.target == .retire { dirty.insert(name) }
        if now >= nextHousekeeping {
            nextHousekeeping = now + configuration.housekeepingInterval
            housekeeping()
        }
    }

    /// Rotates journals and retries removing cgroups that still had processes.
    func housekeeping() {
        for (name, run) in instances {
            for unit in run.order where Self.retiredInstance(name) == nil {
                Journal.rotateIfNeeded(journal.path(instance: name, unit: unit), settings: journal.settings)
            }
        }
        leftoverCgroups.removeAll { driver.removeCgroup($0) }
    }

    /// Arms the timer for the earliest lifecycle deadline or housekeeping.
    func scheduleTimer(now: Double) {
        var next = min(nextHousekeeping, nextHealthDeadline ?? .infinity, nextDisconnectStop ?? .infinity, nextRetirement ?? .infinity)
        for run in instances.values {
            for unit in run.units.values {
                if let deadline = unit.lifecycle.deadline { next = min(next, deadline) }
                if run.target == .run, let due = unit.nextRun { next = min(next, due) }
            }
        }
        guard next != timerDeadline else { return }
        timerDeadline = next
        timer.arm(in: next - now)
    }
}
