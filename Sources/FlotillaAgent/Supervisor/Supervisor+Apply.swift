import Foundation
import FlotillaModel

extension Supervisor {
    /// Makes the machine run exactly `assignments` (every current assignment of this
    /// machine; level-triggered, so calling it again with the same list changes nothing).
    ///
    /// New instances start (a unit waits for the units it lists in `after` to be running, or
    /// exited for a oneshot); instances no longer listed are stopped and forgotten, units in
    /// reverse `after` order; new units or a new desired state stop the instance and then run
    /// the new assignment (with ``Assignment/startFirst``, the new run starts first and the
    /// old one stops once it is up: `Supervisor+Retire`). A new spec revision whose units are
    /// the same (the stack's `count` or another instance changed) and a new fencing token are
    /// taken over in place: the processes keep running.
    package func apply(_ assignments: [Assignment]) {
        let now = Self.now()
        applied = true
        let wanted = Dictionary(assignments.map { ($0.instance, $0) }, uniquingKeysWith: { _, last in last })
        for name in instances.keys where wanted[name] == nil {
            // A run kept aside retires while its instance is still here (also one adopted
            // after an agent restart); it stops at once when the instance is gone.
            let keptAside = Self.retiredInstance(name).map { wanted[$0] != nil } ?? false
            guard keptAside, instances[name]!.target != .remove else { instances[name]!.target = .remove; continue }
            instances[name]!.target = .retire
            // Adopted after a restart, its overlap is unknown: it stops once the new run is up,
            // within the default healthy_deadline.
            if instances[name]!.retirement == nil { instances[name]!.retirement = .init(upFor: 0, by: now + 300) }
        }
        for (name, assignment) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let current = instances[name] else {
                instances[name] = InstanceRun(assignment, now: now)
                continue
            }
            let sameSpec = current.assignment.stack == assignment.stack && current.assignment.network == assignment.network
                && Self.sameUnits(current.assignment.units, assignment.units)
            let launch = assignment.desired == .launched
            switch current.target {
            case .run where sameSpec, .hold where sameSpec:
                instances[name]!.assignment = assignment
                if !launch {
                    instances[name]!.target = .hold // units stop and keep their last state
                } else if current.target == .hold {
                    guard current.isDown else { instances[name]!.target = .replace(assignment); continue }
                    instances[name]!.target = .run
                    for unit in current.order { instances[name]!.units[unit] = current.units[unit]!.fresh(now: now) }
                }
            default:
                if sameSpec || !(takeBack(name, assignment) || startBeside(name, assignment, now: now)) {
                    // A run still kept aside from an earlier replacement goes now.
                    if !sameSpec, instances[Self.retiringName(name)] != nil { instances[Self.retiringName(name)]!.target = .remove }
                    instances[name]!.target = .replace(assignment)
                }
            }
        }
        dirty.formUnion(instances.keys)
        settle(now: now)
    }

    /// True when both lists hold the same units, in any order (an instance adopted after a
    /// restart lists its units by name, its assignment in the stack's order).
    static func sameUnits(_ one: [UnitSpec], _ other: [UnitSpec]) -> Bool {
        guard one.count == other.count else { return false }
        let byName = Dictionary(one.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return other.allSatisfy { unit in byName[unit.name].map { $0.runsLike(unit) } ?? false }
    }

    /// Reconciles the instances something happened to (``dirty``) until nothing more
    /// changes, then publishes their statuses, re-arms the timer and wakes ``fence()``
    /// callers whose units are gone. Instances nothing happened to are not looked at, so one
    /// process exit costs the same on a machine with five units or five thousand.
    func settle(now: Double) {
        var touched: Set<String> = []
        for _ in 0..<64 where !dirty.isEmpty {
            let batch = dirty
            dirty = []
            touched.formUnion(batch)
            for name in batch.sorted() { reconcile(name, now: now) }
        }
        touched.formUnion(dirty)
        dirty = []
        let names = touched.sorted()
        updateHealth(names, now: now)
        publish(names)
        listExclusive()
        scheduleTimer(now: now)
        resumeFenceWaiters()
    }

    /// Moves one instance towards its target; every unit it acts on marks it dirty again.
    private func reconcile(_ name: String, now: Double) {
        guard let run = instances[name] else { return }
        switch run.target {
        case .run:
            guard applied else { return }
            if instances[Self.retiringName(name)] != nil { dirty.insert(Self.retiringName(name)) }   // it waits for this run
            if releaseFenced(in: name, now: now) { dirty.insert(name) }
            fireTimers(in: name, now: now)
            for unit in run.order where canStart(unit, in: instances[name]!) {
                instances[name]!.units[unit]!.due = false
                deliver(.start, to: name, unit, now: now)
            }
        case .retire where !retireDue(name, now: now):
            return
        case .hold, .remove, .replace, .retire:
            for unit in run.order where canStop(unit, in: instances[name]!) {
                deliver(.stop, to: name, unit, now: now)
            }
            guard instances[name]!.isDown else { return }
            switch run.target {
            case .remove, .retire:
                forget(name)
            case .replace(let next):
                forget(name, keepingStatus: Set(next.units.map(\.name)))
                instances[name] = InstanceRun(next, now: now)
                dirty.insert(name)
            default:
                break
            }
        }
    }

    /// Timer-driven units of a running instance: the first time, the timer starts (its first
    /// run computed, ``TimerSpec/firstRun(at:lastRun:)``); when a run is due and the unit is
    /// down (not run yet, or its last run ended), it is made pending and due; when the last run
    /// still runs, this run is skipped (noted in the journal), like a CronJob's `Forbid`.
    private func fireTimers(in name: String, now: Double) {
        for unit in instances[name]!.order {
            guard var run = instances[name]!.units[unit], let timer = run.spec.timer else { continue }
            if !run.timerStarted {
                run.timerStarted = true
                run.nextRun = timer.firstRun(at: now, lastRun: run.lastRun)
            }
            if let next = run.nextRun, next <= now {
                if run.isDown {
                    if run.lifecycle.state != .pending { run = run.fresh(now: now); run.timerStarted = true }
                    run.due = true
                    run.lastRun = now
                    run.nextRun = timer.nextRun(after: now, activeSince: now, lastRun: run.lastRun)
                } else {
                    journal.note("timer: the run due at \(LogTimestamp.string(Date(timeIntervalSince1970: next))) is skipped: the last run still runs", instance: name, unit: unit)
                    // `OnUnitActiveSec=` counts from the last start, which may be long past:
                    // look again one interval (at least a second) from now, not at once.
                    let pause = max(1, timer.onUnitActiveSec ?? 1)
                    run.nextRun = timer.nextRun(after: now, activeSince: now, lastRun: run.lastRun).map { max($0, now + pause) }
                }
            }
            instances[name]!.units[unit] = run
        }
    }

    /// A pending unit starts once every unit it lists in `after` is up (and, for an exclusive
    /// unit, no fence holds it back).
    private func canStart(_ unit: String, in run: InstanceRun) -> Bool {
        guard let candidate = run.units[unit], candidate.lifecycle.state == .pending, !candidate.fencedOut else { return false }
        if candidate.spec.timer != nil, !candidate.due { return false }
        if candidate.spec.exclusive, let fenceToken, run.assignment.fencingToken <= fenceToken { return false }
        if heldByDisconnect(candidate, in: run) { return false }
        return candidate.spec.after.allSatisfy { run.units[$0]?.hasStarted ?? true }
    }

    /// A unit stops once no unit that lists it in `after` is still up.
    private func canStop(_ unit: String, in run: InstanceRun) -> Bool {
        guard let candidate = run.units[unit], !candidate.isDown, !isStopping(candidate) else { return false }
        return run.units.values.allSatisfy { other in !other.spec.after.contains(unit) || other.isDown }
    }

    /// Whether the unit is on its way down (ExecStop, the stop signal, the kill, ExecStopPost).
    func isStopping(_ run: UnitRun) -> Bool {
        switch run.lifecycle.phase {
        case .stop, .stopSignal, .stopKill, .stopPost: true
        default: false
        }
    }

    /// Drops a stopped instance: records, cgroups (retried later while busy), and the status
    /// keys (and, when the instance leaves the machine, the journals) of units not in `kept`.
    private func forget(_ name: String, keepingStatus kept: Set<String> = []) {
        guard let run = instances.removeValue(forKey: name) else { return }
        records.remove(instance: name)
        if let network = run.network { configuration.networks?.detach(network) }
        for unit in run.units.values {
            if let cgroup = unit.cgroup, !cgroup.paths.isEmpty, !driver.removeCgroup(cgroup) { leftoverCgroups.append(cgroup) }
        }
        guard Self.retiredInstance(name) == nil else { return }   // its journal is the instance's; its statuses were never published
        if kept.isEmpty { journal.remove(instance: name, units: run.order) }
        for unit in run.order where !kept.contains(unit) { changeSink.yield(.removed(instance: name, unit: unit)) }
    }
}
