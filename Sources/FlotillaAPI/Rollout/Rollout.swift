import FlotillaModel

/// How far the instances of an apply (or a start) have come, judged from status reports.
/// Pure: the CLI long-polls `GET /v1/status?after=REVISION` and feeds every report to
/// ``evaluate(_:)``.
///
/// Which instances a stack has is the controller's published decision: until the decision
/// about the applied spec revision is in (``StackSummary/decidedRevision``), the stack is
/// "waiting for the controller" and the rollout cannot end. After that only records about
/// the applied spec count: an assignment made from an older spec revision and a unit status
/// from an older assignment (lower fencing token) are ignored.
public struct Rollout: Sendable {
    /// Stacks applied.
    public let stacks: Set<String>
    /// Per stack, the spec revision waited for: the apply's revision for a stack it wrote, the
    /// stored revision for one it left unchanged.
    public let revisions: [String: Int64]
    /// A unit restarting this many times counts as failed (crash loop).
    public let crashLoopRestarts: Int

    /// A rollout of `stacks`, all applied at `revision`.
    public init(stacks: Set<String>, revision: Int64, crashLoopRestarts: Int = 3) {
        self.init(revisions: Dictionary(uniqueKeysWithValues: stacks.map { ($0, revision) }), crashLoopRestarts: crashLoopRestarts)
    }

    /// A rollout of the stacks in `revisions`, each at its own spec revision.
    public init(revisions: [String: Int64], crashLoopRestarts: Int = 3) {
        self.stacks = Set(revisions.keys); self.revisions = revisions; self.crashLoopRestarts = crashLoopRestarts
    }

    /// The spec revision waited for in `stack`.
    public func revision(of stack: String) -> Int64 { revisions[stack] ?? 0 }

    /// Where every instance is, which stacks still wait for the controller, and whether the
    /// rollout is over. A stack missing from the report (destroyed meanwhile) has nothing to wait for.
    ///
    /// `settled` says whether a unit without a health check that reports `running` has
    /// stayed up long enough to count (a unit that crashes right after it starts reports
    /// `running` for a moment, and a waiter that sees every change would otherwise call the
    /// rollout ready); until then it is `starting`. The default counts it at once.
    public func evaluate(_ report: StatusReport,
                         settled: (InstanceReport, UnitReport) -> Bool = { _, _ in true }) -> RolloutState {
        let undecided = report.stacks.filter { stacks.contains($0.name) && ($0.decidedRevision ?? -1) < revision(of: $0.name) }
            .map(\.name).sorted()
        let relevant = report.instances.filter { stacks.contains($0.stack) && $0.expected && !undecided.contains($0.stack) }
        var rollouts: [String: RolloutRecord] = [:]
        var failures: [RolloutFailure] = []
        for stack in report.stacks where stacks.contains(stack.name) {
            guard let record = stack.rollout else { continue }
            let waited = revision(of: stack.name)
            if record.specRevision == waited {
                rollouts[stack.name] = record
                if record.phase == .failed {
                    failures.append(RolloutFailure(stack: stack.name, label: record.label, message: record.message ?? "failed",
                                                   revertedTo: record.revertedTo, reverted: record.revertedTo != nil))
                }
            } else if let undone = record.revertOf, undone.specRevision == waited {
                failures.append(RolloutFailure(stack: stack.name, label: undone.version.map { "version \($0)" } ?? "spec revision \(waited)",
                                               message: undone.message, revertedTo: record.version, reverted: true))
            }
        }
        var state = RolloutState(instances: relevant.map { progress(of: $0, rollout: rollouts[$0.stack], settled: settled) },
                                 undecided: undecided)
        state.rollouts = rollouts
        state.failures = failures.sorted { $0.stack < $1.stack }
        return state
    }

    private func progress(of report: InstanceReport, rollout: RolloutRecord?,
                          settled: (InstanceReport, UnitReport) -> Bool) -> InstanceProgress {
        var progress = InstanceProgress(instance: report.instance, stack: report.stack, machine: nil, phase: .scheduling)
        guard report.placement == .placed || report.placement == .leaving, let specRevision = report.specRevision,
              specRevision >= revision(of: report.stack) else {
            if report.placement == .unplaced, let unplaced = report.unplaced {
                progress.phase = .unplaced
                progress.reason = unplaced.reason
            } else if report.placement == .placed, rollout?.isActive == true {
                progress.machine = report.machine
                progress.phase = .queued
            }
            return progress
        }
        progress.machine = report.machine
        if report.desired != .launched {
            progress.phase = report.desired == .loaded ? .loaded : .scheduling
            return progress
        }
        var phases: [InstanceProgress.Phase] = []
        for unit in report.units {
            var phase = self.phase(of: unit)
            if phase == .running, unit.status?.state == .running, !unit.hasHealthCheck, !settled(report, unit) { phase = .starting }
            // While a rollout is active its verdict decides: a failing new instance fails the
            // rollout (and may revert it), which the record says.
            if phase == .failed, rollout?.isActive == true { phase = .restarting }
            if phase == .failed, let status = unit.status { progress.failedUnits.append(status) }
            phases.append(phase)
        }
        progress.phase = phases.min(by: { $0.rank < $1.rank }) ?? .running
        return progress
    }

    private func phase(of unit: UnitReport) -> InstanceProgress.Phase {
        guard let status = unit.status, unit.current else { return .assigned }
        switch status.state {
        case .failed: return .failed
        case .restarting: return status.restarts >= crashLoopRestarts ? .failed : .restarting
        case .pending: return unit.isScheduled ? .running : .waiting
        case .starting: return .starting
        case .stopping: return .stopping
        case .exited: return .running
        case .running:
            guard unit.hasHealthCheck else { return .running }
            switch status.health {
            case .healthy: return .running
            case .unhealthy: return .unhealthy
            case .unknown, nil: return .checkingHealth
            }
        }
    }
}

/// The state of a rollout at one status report.
public struct RolloutState: Sendable, Hashable {
    /// How it ended, if it did.
    public enum Outcome: Sendable, Hashable {
        /// Every instance runs (healthy where checked), or is loaded when that is what was asked.
        case ready
        /// A unit failed to start or is crash-looping.
        case unitFailed
        /// An instance is unplaced.
        case unplaced
        /// A stack's rollout failed (see ``RolloutState/failures``).
        case rolloutFailed
    }

    /// Every instance the controller decided for the applied stacks, by name.
    public var instances: [InstanceProgress]
    /// Applied stacks the controller has not published a decision about yet (for the applied
    /// spec revision), sorted: "waiting for the controller".
    public var undecided: [String]

    /// The rollouts of the applied spec revisions, by stack (progress and phase).
    public var rollouts: [String: RolloutRecord] = [:]
    /// Applied stacks whose rollout failed, sorted by stack.
    public var failures: [RolloutFailure] = []

    public init(instances: [InstanceProgress], undecided: [String] = []) {
        self.instances = instances
        self.undecided = undecided
    }

    /// The outcome once decided: a failed rollout first, then a failed unit, then unplaced
    /// instances, then ready (which needs the controller's decision about every stack, and
    /// every rollout of the applied specs to have succeeded: its last instance healthy for
    /// `min_healthy_time`).
    public var outcome: Outcome? {
        if !failures.isEmpty { return .rolloutFailed }
        if instances.contains(where: { $0.phase == .failed }) { return .unitFailed }
        if instances.contains(where: { $0.phase == .unplaced }) { return .unplaced }
        if undecided.isEmpty, !rollouts.values.contains(where: \.isActive),
           instances.allSatisfy({ $0.phase == .running || $0.phase == .loaded }) { return .ready }
        return nil
    }
}

/// A stack whose rollout of the applied spec failed.
public struct RolloutFailure: Sendable, Hashable {
    /// The stack.
    public var stack: String
    /// `version 4`: what was rolled out.
    public var label: String
    /// Why it failed.
    public var message: String
    /// The version the automatic revert wrote (nil: not reverted).
    public var revertedTo: Int?
    /// True when the controller reverted it.
    public var reverted: Bool

    public init(stack: String, label: String, message: String, revertedTo: Int?, reverted: Bool) {
        self.stack = stack; self.label = label; self.message = message; self.revertedTo = revertedTo; self.reverted = reverted
    }

    /// `web: the rollout of version 4 failed: …; reverted (version 5 is version 3's spec)`.
    public var sentence: String {
        "\(stack): the rollout of \(label) failed: \(message); " + (reverted
            ? "reverted automatically (the earlier spec is stored again as version \(revertedTo.map(String.init) ?? "?"))"
            : "not reverted (auto_revert is off, or there was no earlier version); the instances not replaced keep the old spec")
    }
}

/// Where one instance of a rollout is.
public struct InstanceProgress: Sendable, Hashable {
    /// The phases, from least to most advanced (failed and unplaced are ends of their own).
    public enum Phase: String, Sendable, Hashable, Codable {
        case failed, unplaced, scheduling, queued = "waiting its turn", assigned, waiting, stopping, starting, restarting
        case unhealthy, checkingHealth = "checking health", loaded, running

        /// Order when an instance's units are in different phases: the lowest shows.
        var rank: Int {
            switch self {
            case .failed: 0
            case .unplaced: 1
            case .scheduling: 2
            case .queued: 2
            case .assigned: 3
            case .waiting: 4
            case .stopping: 5
            case .starting: 6
            case .restarting: 7
            case .unhealthy: 8
            case .checkingHealth: 9
            case .loaded: 10
            case .running: 11
            }
        }
    }

    /// Instance name.
    public var instance: String
    /// Its stack.
    public var stack: String
    /// Its machine, once assigned from the applied spec.
    public var machine: String?
    /// Where it is.
    public var phase: Phase
    /// Why it is unplaced.
    public var reason: String?
    /// Units that failed, as last reported.
    public var failedUnits: [UnitStatus] = []

    /// Creates a progress value.
    public init(instance: String, stack: String, machine: String?, phase: Phase, reason: String? = nil) {
        self.instance = instance; self.stack = stack; self.machine = machine; self.phase = phase; self.reason = reason
    }

    /// `web@1 on m2` or `web@1`; a long machine ID is shortened to its first 8 characters
    /// (fleet's short ID).
    public var label: String {
        guard let machine else { return instance }
        return "\(instance) on \(machine.count > 12 ? String(machine.prefix(8)) : machine)"
    }
}
