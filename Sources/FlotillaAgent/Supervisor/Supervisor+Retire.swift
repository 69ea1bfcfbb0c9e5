import FlotillaModel

/// Start-before-stop for a rollout's replacement (``Assignment/startFirst``): the instance's
/// current run moves aside under ``retiringName(_:)`` and keeps running while the new run
/// starts under the instance's name; it stops, and is forgotten, once the new run has been up
/// — every unit running (healthy when it has a check) or exited — for the overlap's `upFor`,
/// once the new run has failed or crash-loops, or at the overlap's `atMost` at the latest.
/// Its records are kept under the aside name, so an agent restarted meanwhile adopts it and
/// retires it the same way; its statuses are never published (the instance's statuses are
/// the new run's), and its processes keep the instance's name and journal. When the instance
/// is assigned the aside run's units again before it stopped (a failed rollout reverted),
/// that run takes the instance back without a restart and the new one stops.
extension Supervisor {
    /// The suffix of a run kept aside while its replacement starts.
    static let retiringSuffix = "~retiring"

    /// The name the instance `name`'s replaced run is kept under.
    static func retiringName(_ name: String) -> String { name + retiringSuffix }

    /// The instance a name kept aside belongs to; nil for an instance's own name.
    static func retiredInstance(_ name: String) -> String? {
        name.hasSuffix(retiringSuffix) ? String(name.dropLast(retiringSuffix.count)) : nil
    }

    /// The instance a run belongs to, under its own name or kept aside: what its processes
    /// and journal are named by.
    static func instanceName(_ key: String) -> String { retiredInstance(key) ?? key }

    /// The name `unit`'s run that `matches` is kept under now: a run moved aside (or taken
    /// back) hears of its processes and probes under the name they were started with.
    func owner(of instance: String, _ unit: String, _ matches: (UnitRun) -> Bool) -> String? {
        let base = Self.instanceName(instance)
        return [base, Self.retiringName(base)].first { instances[$0]?.units[unit].map(matches) ?? false }
    }

    /// Moves the running instance `name` aside and starts `assignment` beside it. False when
    /// it does not apply (not asked for, the instance does not run, or a run is aside already);
    /// the caller then replaces the instance the usual way, stop first.
    func startBeside(_ name: String, _ assignment: Assignment, now: Double) -> Bool {
        guard let overlap = assignment.startFirst, assignment.desired == .launched, var current = instances[name],
              current.target == .run, !current.isDown, instances[Self.retiringName(name)] == nil else { return false }
        let aside = Self.retiringName(name)
        current.target = .retire
        current.retirement = InstanceRun.Retirement(upFor: overlap.upFor, by: now + overlap.atMost)
        instances[aside] = current
        var successor = InstanceRun(assignment, now: now)
        // Its cgroups are named by the serial and must not be the old run's, which still runs.
        if successor.serial == current.serial { successor.serial += "n" }
        instances[name] = successor
        rewriteRecords(of: [name, aside])
        configuration.logger.info("starting the new run before the old one stops (rollout)",
                                  metadata: ["instance": "\(name)", "revision": "\(assignment.specRevision)"])
        dirty.formUnion([name, aside])
        return true
    }

    /// When `assignment` runs what the run kept aside for `name` runs, and that run is still
    /// up (not yet stopping: its successor failed or came up), it takes the instance back (its
    /// processes keep running) and the current one is stopped and forgotten; true when it did.
    func takeBack(_ name: String, _ assignment: Assignment) -> Bool {
        let aside = Self.retiringName(name)
        guard assignment.desired == .launched, var back = instances[aside], back.target == .retire, var replaced = instances[name],
              back.assignment.stack == assignment.stack, Self.sameUnits(back.assignment.units, assignment.units),
              // Already stopping (its successor came up or failed), it cannot take the instance back: it is replaced anew.
              back.units.values.allSatisfy({ !$0.isDown && !isStopping($0) }) else { return false }
        back.target = .run
        back.retirement = nil
        back.assignment = assignment
        replaced.target = .remove
        instances[name] = back
        instances[aside] = replaced
        rewriteRecords(of: [name, aside])
        for unit in back.order { instances[name]!.units[unit]!.published = nil }   // its statuses are the instance's again
        for unit in replaced.order where back.units[unit] == nil { changeSink.yield(.removed(instance: name, unit: unit)) }
        configuration.logger.info("the replaced run takes the instance back; the new run stops",
                                  metadata: ["instance": "\(name)", "revision": "\(assignment.specRevision)"])
        dirty.formUnion([name, aside])
        return true
    }

    /// Rewrites the run records under `names` from the runs now kept under them (the
    /// records log keeps the newest line per instance and unit, so the old lines go first).
    private func rewriteRecords(of names: [String]) {
        for name in names { records.remove(instance: name) }
        for name in names {
            guard let run = instances[name] else { continue }
            for unit in run.order {
                instances[name]!.units[unit]!.saved = nil
                saveRecord(instance: name, unit: unit)
            }
        }
    }

    /// Whether the aside run `aside` may stop now (see the extension's summary); notes when
    /// its successor came up.
    func retireDue(_ aside: String, now: Double) -> Bool {
        guard let name = Self.retiredInstance(aside), let successor = instances[name], successor.target == .run,
              var retirement = instances[aside]?.retirement else { return true }
        if now >= retirement.by { return true }
        var up = true
        for unit in successor.order {
            guard let run = successor.units[unit] else { continue }
            switch run.lifecycle.state {
            case .running: if run.spec.health != nil && run.health != .healthy { up = false }
            case .exited: break
            case .failed: return true
            default:
                if run.lifecycle.restarts >= 3 { return true }   // crash-looping: the rollout fails on it
                up = false
            }
        }
        retirement.upSince = up ? (retirement.upSince ?? now) : nil
        instances[aside]!.retirement = retirement
        return up && now >= retirement.upSince! + retirement.upFor
    }

    /// When an aside run may stop next (for the timer).
    var nextRetirement: Double? {
        instances.values.compactMap { run -> Double? in
            guard run.target == .retire, let retirement = run.retirement else { return nil }
            return min(retirement.by, retirement.upSince.map { $0 + retirement.upFor } ?? .infinity)
        }.min()
    }

    /// True while a run kept aside still has processes (stopping the agent waits for them).
    package var asideRunsAlive: Bool {
        instances.contains { Self.retiredInstance($0.key) != nil && !$0.value.isDown }
    }
}
