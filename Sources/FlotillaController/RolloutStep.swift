import FlotillaModel

/// One reconcile pass of a stack's rollout (pure): which outdated instances get the stack's
/// new units now, the rollout record as it should be stored, and, when the rollout failed
/// and may revert, the earlier version to write back.
///
/// An instance is *outdated* when the plan keeps it where it is but its assignment carries
/// other units than the stack's (a new spec, or new `env_from` values). The rollout replaces
/// at most `max_parallel` of them at a time, in instance order; a replaced instance is in
/// flight until every unit of its new run (the status with its new fencing token) has been
/// seen running, and healthy when it has a check, for `min_healthy_time`. A unit that fails
/// or crash-loops, or an instance not healthy within `healthy_deadline` of its replacement,
/// fails the rollout: nothing more is replaced, and with `auto_revert` the version the
/// replaced instances ran is written back as a new version (a revert never reverts again).
struct RolloutStep {
    /// A unit restarting this many times counts as failed (the `apply` waiter's rule too).
    static let crashLoopRestarts = 3

    let stored: ClusterState.StoredStack
    let state: ClusterState
    let now: Double

    /// What one pass decided.
    struct Outcome {
        /// Outdated instances assigned the new units in this pass.
        var replace: [Assignment] = []
        /// The record to store (nil: the stack has no rollout).
        var record: RolloutRecord?
        /// The earlier version to write back (auto-revert).
        var revert: StackRevert?
        /// Events: kind, instance, message.
        var events: [(kind: String, instance: String?, message: String)] = []
    }

    /// How a replaced instance is doing.
    enum Health: Equatable {
        case healthy
        case pending
        case failed(String)
    }

    /// Decides the pass. `waiting`: the outdated instances' wanted assignments; `placed`: every
    /// instance the plan keeps placed (outdated or not); `wanted`: placed and unplaced.
    func decide(waiting: [Assignment], placed: [String], wanted: Int) -> Outcome {
        var outcome = Outcome()
        let name = stored.record.spec.name
        let strategy = stored.record.spec.updateStrategy
        let waiting = waiting.sorted { Self.instanceOrder($0.instance, $1.instance) }
        let existing = state.rollouts[name].flatMap { $0.specRevision == stored.revision ? $0 : nil }
        var rollout: RolloutRecord
        if let existing, !existing.isActive, existing.phase == .failed || waiting.isEmpty {
            // Over: a failed rollout holds the instances it did not replace until a new apply.
            // The stack still at the failed spec means a revert the record promises was not
            // written (the leader stopped between the two commits): write it again.
            if existing.phase == .failed, existing.revertOf == nil, let version = existing.revertedTo,
               let from = existing.fromVersion {
                outcome.revert = revert(to: from, as: version, reason: existing.message ?? "failed", label: existing.label)
            }
            outcome.record = existing
            return outcome
        } else if let existing, existing.isActive {
            rollout = existing
        } else if !waiting.isEmpty {
            rollout = start(waiting: waiting)
            outcome.events.append(("rollout-started", nil, "rolling out \(rollout.label) of \(name) to \(waiting.count) instance\(waiting.count == 1 ? "" : "s"), \(strategy.maxParallel) at a time" + (rollout.revertOf.map { " (reverting \($0.version.map { "version \($0)" } ?? "a failed version"))" } ?? "")))
        } else {
            outcome.record = state.rollouts[name]
            return outcome
        }
        let waitingNames = Set(waiting.map(\.instance))
        let placedSet = Set(placed)

        // The replaced instances: gone ones are forgotten; one whose new assignment did not
        // make it into the store is outdated again and waits its turn.
        var inFlight = 0
        var failure: String?
        for (instance, since) in rollout.updated.sorted(by: { Self.instanceOrder($0.key, $1.key) }) {
            guard placedSet.contains(instance), !waitingNames.contains(instance), let assignment = state.assignments[instance] else {
                rollout.updated[instance] = nil
                rollout.healthySince[instance] = nil
                rollout.counted.remove(instance)
                continue
            }
            if rollout.counted.contains(instance) { continue }
            switch health(of: assignment) {
            case .healthy:
                let first = rollout.healthySince[instance] ?? now
                rollout.healthySince[instance] = first
                if now - first >= strategy.minHealthyTime {
                    rollout.counted.insert(instance)
                    continue
                }
            case .pending:
                rollout.healthySince[instance] = nil
            case .failed(let reason):
                rollout.healthySince[instance] = nil
                failure = failure ?? reason
                continue
            }
            inFlight += 1
            if now - since > strategy.healthyDeadline {
                failure = failure ?? "\(instance) was not healthy for \(Self.span(strategy.minHealthyTime)) within its healthy_deadline of \(Self.span(strategy.healthyDeadline))"
            }
        }
        rollout.progress = RolloutRecord.Progress(
            updated: placed.count - waiting.count,
            healthy: placed.filter { !waitingNames.contains($0) && state.assignments[$0].map(health(of:)) == .healthy }.count,
            total: wanted)

        if let failure {
            fail(&rollout, failure, &outcome)
            outcome.record = rollout
            return outcome
        }
        guard rollout.isActive else { outcome.record = rollout; return outcome }
        let promoted = (state.promotions[name] ?? 0) >= rollout.specRevision
        var slots = strategy.maxParallel - inFlight
        if strategy.canary > 0, !promoted, rollout.revertOf == nil {   // a revert does not wait for promotion
            let left = strategy.canary - rollout.updated.count
            if left <= 0, inFlight == 0, !waiting.isEmpty {
                if rollout.phase != .awaitingPromotion {
                    rollout.phase = .awaitingPromotion
                    rollout.message = "\(rollout.updated.count) canar\(rollout.updated.count == 1 ? "y is" : "ies are") healthy; `flotilla promote \(name)` rolls out the other \(waiting.count)"
                    outcome.events.append(("rollout-paused", nil, "\(name) \(rollout.label): \(rollout.message!)"))
                }
                outcome.record = rollout
                return outcome
            }
            slots = min(slots, left)
        }
        if rollout.phase == .awaitingPromotion {
            rollout.phase = .running
            rollout.message = nil
            outcome.events.append(("rollout-promoted", nil, "\(name) \(rollout.label) promoted: rolling out to the other \(waiting.count) instance\(waiting.count == 1 ? "" : "s")"))
        }
        for assignment in waiting.prefix(max(0, slots)) {
            outcome.replace.append(assignment)
            rollout.updated[assignment.instance] = now
            rollout.progress.updated += 1
        }
        if waiting.isEmpty, inFlight == 0 {
            rollout.phase = .succeeded
            rollout.message = nil
            outcome.events.append(("rollout-succeeded", nil, "\(name) \(rollout.label) rolled out: \(rollout.progress.updated) instance\(rollout.progress.updated == 1 ? "" : "s") updated and healthy"))
        }
        outcome.record = rollout
        return outcome
    }

    /// A new rollout of the stored spec; it remembers a failed rollout it reverts.
    private func start(waiting: [Assignment]) -> RolloutRecord {
        let name = stored.record.spec.name
        var revertOf: RolloutRecord.Reverted?
        if let previous = state.rollouts[name], previous.phase == .failed, let to = previous.revertedTo,
           to == stored.record.version {
            revertOf = .init(specRevision: previous.specRevision, version: previous.version, message: previous.message ?? "failed")
        }
        var record = RolloutRecord(stack: name, specRevision: stored.revision, version: stored.record.version,
                                   fromVersion: state.assignments[waiting[0].instance].flatMap { version(running: $0.assignment) },
                                   startedAt: now, revertOf: revertOf)
        // A new spec revision with the same units (a count change, start, stop) does not
        // restart the count: the instances the active rollout already replaced, which run
        // these units too, stay replaced, in flight or counted, and it keeps what it came from.
        if let previous = state.rollouts[name], previous.isActive {
            let outdated = Set(waiting.map(\.instance))
            for (instance, at) in previous.updated where !outdated.contains(instance) {
                record.updated[instance] = at
                record.healthySince[instance] = previous.healthySince[instance]
                if previous.counted.contains(instance) { record.counted.insert(instance) }
            }
            record.fromVersion = previous.fromVersion ?? record.fromVersion
            record.startedAt = previous.startedAt
        }
        return record
    }

    /// The newest stored version whose units are what `assignment` runs (its `env_from`
    /// values aside), other than the current one.
    private func version(running assignment: Assignment) -> Int? {
        let units = assignment.units.map(Self.withoutStoreValues)
        return state.versions[stored.record.spec.name]?.reversed().first { candidate in
            candidate.version.version != stored.record.version && candidate.version.record.spec.units.map(Self.withoutStoreValues) == units
        }?.version.version
    }

    /// Marks the rollout failed and, when it may, writes the version it came from back.
    private func fail(_ rollout: inout RolloutRecord, _ reason: String, _ outcome: inout Outcome) {
        let name = stored.record.spec.name
        rollout.phase = .failed
        rollout.message = reason
        let strategy = stored.record.spec.updateStrategy
        var how = "not reverted: auto_revert is off"
        if strategy.autoRevert {
            if rollout.revertOf != nil {
                how = "not reverted again: this rollout was itself a revert"
            } else if let from = rollout.fromVersion,
                      case let newest = max(state.versions[name]?.map(\.version.version).max() ?? 0, stored.record.version ?? 0),
                      let write = revert(to: from, as: newest + 1, reason: reason, label: rollout.label) {
                outcome.revert = write
                rollout.revertedTo = newest + 1
                how = "reverting to version \(from) (stored as version \(newest + 1))"
            } else {
                how = "not reverted: the version its instances ran before is no longer stored"
            }
        }
        outcome.events.append(("rollout-failed", nil, "\(name) \(rollout.label) failed: \(reason); \(how)"))
    }

    /// The write that stores version `from`'s spec as version `number` (nil when `from` is no
    /// longer kept).
    private func revert(to from: Int, as number: Int, reason: String, label: String) -> StackRevert? {
        guard let old = state.versions[stored.record.spec.name]?.first(where: { $0.version.version == from }) else { return nil }
        var record = old.version.record
        record.version = number
        record.desired = stored.record.desired
        return StackRevert(record: record, previous: stored.record,
                           origin: "automatic revert to version \(from) (\(label) failed: \(reason))",
                           expectedRevision: stored.revision)
    }

    /// How a replaced instance's new run is doing, from its statuses with the assignment's
    /// fencing token.
    func health(of stored: ClusterState.StoredAssignment) -> Health {
        let statuses = state.statuses[stored.assignment.instance] ?? []
        for unit in stored.assignment.units {
            guard let status = statuses.first(where: { $0.unit == unit.name && $0.fencingToken == stored.revision }) else { return .pending }
            switch status.state {
            case .failed:
                return .failed("\(status.instance)/\(unit.name) on \(status.machine) failed" + (status.lastError.map { ": \($0)" } ?? ""))
            case .restarting where status.restarts >= Self.crashLoopRestarts:
                return .failed("\(status.instance)/\(unit.name) on \(status.machine) is crash-looping (\(status.restarts) restarts)" + (status.lastError.map { ": \($0)" } ?? ""))
            case .running:
                if unit.health != nil, status.health != .healthy { return .pending }
            case .exited:
                if unit.type != .oneshot, unit.timer == nil { return .pending }
            case .pending where unit.timer != nil:
                continue   // waiting for its schedule
            case .pending, .starting, .restarting, .stopping:
                return .pending
            }
        }
        return .healthy
    }

    /// Instance names in index order (`web@2` before `web@10`), else by name.
    static func instanceOrder(_ a: String, _ b: String) -> Bool {
        func split(_ name: String) -> (String, Int?) {
            guard let at = name.lastIndex(of: "@") else { return (name, nil) }
            return (String(name[..<at]), Int(name[name.index(after: at)...]))
        }
        let (pa, ia) = split(a), (pb, ib) = split(b)
        if pa == pb, let ia, let ib, ia != ib { return ia < ib }
        return a < b
    }

    private static func withoutStoreValues(_ unit: UnitSpec) -> UnitSpec {
        var unit = unit
        unit.storeEnvironment = [:]
        unit.location = nil
        return unit
    }

    /// `10s`, `1.5s`.
    static func span(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
