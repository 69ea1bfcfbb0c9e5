import FlotillaModel

extension Supervisor {
    /// Stops every exclusive unit at once — SIGKILL to its process groups and cgroup, no
    /// `ExecStop`, no `ExecStopPost` — and returns when their processes are gone.
    ///
    /// For an agent that cannot renew its lease: call it early enough that the units are
    /// dead before the lease can expire, so a replacement elsewhere never overlaps (DESIGN
    /// §6). Units that are not exclusive keep running. Afterwards exclusive units stay down
    /// until ``unfence()``, or until an assignment newer than every one known now (a higher
    /// fencing token) asks for them. Needs ``run()`` to be running.
    package func fence() async {
        let now = Self.now()
        lapsedAt = lapsedAt ?? now
        fenceToken = max(fenceToken ?? 0, instances.values.map(\.assignment.fencingToken).max() ?? 0)
        for name in instances.keys.sorted() {
            for unit in instances[name]!.order where instances[name]!.units[unit]!.spec.exclusive {
                if !instances[name]!.units[unit]!.isDown { instances[name]!.units[unit]!.fencedOut = true }
                deliver(.fence, to: name, unit, now: now)
            }
        }
        settle(now: now)
        if exclusiveUnitsAlive { await withCheckedContinuation { fenceWaiters.append($0) } }
    }

    /// Lifts the fence: the lease was renewed before it could expire, so no replacement can
    /// have started (or the machine registered again and its assignments were read); fenced
    /// units start again.
    package func unfence() {
        fenceToken = nil
        lapsedAt = nil
        dirty.formUnion(instances.keys)
        settle(now: Self.now())
    }

    /// Gives fenced units a fresh lifecycle once the fence no longer covers their
    /// assignment; true when it did.
    func releaseFenced(in name: String, now: Double) -> Bool {
        guard let run = instances[name], run.target == .run else { return false }
        if let fenceToken, run.assignment.fencingToken <= fenceToken { return false }
        var released = false
        for unit in run.order where run.units[unit]?.fencedOut == true && run.units[unit]!.isDown {
            instances[name]!.units[unit] = run.units[unit]!.fresh(now: now)
            released = true
        }
        return released
    }

    /// Once the lease has lapsed for an instance's `disconnect.stop_after`, kills its
    /// non-exclusive units that run as ``fence()`` kills exclusive ones; they stay down
    /// (``UnitRun/fencedOut``) until the fence is lifted or a newer assignment asks for them.
    /// (While the lease is lapsed, such units are not started or restarted at all: see
    /// ``heldByDisconnect(_:in:)``.)
    func stopDisconnected(now: Double) {
        guard let lapsedAt else { return }
        for name in instances.keys.sorted() {
            guard let after = instances[name]!.assignment.stopAfterDisconnect, now >= lapsedAt + after else { continue }
            for unit in instances[name]!.order {
                guard let run = instances[name]!.units[unit], !run.spec.exclusive, !run.fencedOut, !run.isDown else { continue }
                instances[name]!.units[unit]!.fencedOut = true
                configuration.logger.warning("lease lapsed for the stack's disconnect.stop_after; stopping the unit",
                                             metadata: ["instance": "\(name)", "unit": "\(unit)", "stop_after": "\(after)"])
                deliver(.fence, to: name, unit, now: now)
            }
        }
    }

    /// When ``stopDisconnected(now:)`` has something to do next; nil: nothing waits.
    var nextDisconnectStop: Double? {
        guard let lapsedAt else { return nil }
        return instances.values.compactMap { run -> Double? in
            guard let after = run.assignment.stopAfterDisconnect,
                  run.units.values.contains(where: { !$0.spec.exclusive && !$0.fencedOut && !$0.isDown }) else { return nil }
            return lapsedAt + after
        }.min()
    }

    /// True for a non-exclusive unit of an instance whose stack has a `disconnect` policy
    /// while the lease is lapsed: it is not started or restarted until the lease is back (a
    /// unit the fence watchdog killed while the agent was frozen stays down when it thaws).
    func heldByDisconnect(_ unit: UnitRun, in run: InstanceRun) -> Bool {
        lapsedAt != nil && run.assignment.stopAfterDisconnect != nil && !unit.spec.exclusive
    }

    /// Tells the fence watchdog which exclusive units have processes now (see ``FenceFiles``):
    /// after every settle, and before anything is spawned for an exclusive unit (`starting`),
    /// listing its cgroup — so an agent frozen right after a spawn leaves nothing unguarded
    /// (where the machine has cgroups; without them a unit is listed once its main process
    /// runs).
    /// The units of stacks with a `disconnect` policy are listed too, each with its
    /// `stop_after`.
    func listExclusive(starting: (instance: String, unit: String)? = nil) {
        guard let files = configuration.fenceFiles else { return }
        var exclusive: [FencedUnit] = []
        var disconnect: [FencedUnit] = []
        for name in instances.keys.sorted() {
            let stopAfter = instances[name]!.assignment.stopAfterDisconnect
            for unit in instances[name]!.order {
                guard let run = instances[name]!.units[unit], run.spec.exclusive || stopAfter != nil else { continue }
                let spawning = starting.map { $0.instance == name && $0.unit == unit } ?? false
                guard run.lifecycle.hasProcesses || spawning else { continue }
                let cgroups = run.cgroup?.paths ?? []
                var listed: FencedUnit
                if run.lifecycle.main != nil, let main = run.main {
                    listed = FencedUnit(pid: main.pid, startTime: main.startTime, processGroup: main.processGroup, cgroups: cgroups)
                } else if !cgroups.isEmpty {
                    listed = FencedUnit(pid: 0, startTime: 0, processGroup: 0, cgroups: cgroups)
                } else {
                    continue
                }
                if run.spec.exclusive {
                    exclusive.append(listed)
                } else if let stopAfter {
                    listed.grace = UInt64(min(max(stopAfter, 0), 1e9) * 1e9)   // at most ~31 years
                    disconnect.append(listed)
                }
            }
        }
        if exclusive != listedExclusive {
            listedExclusive = exclusive
            files.writeExclusive(exclusive)
        }
        if disconnect != listedDisconnect {
            listedDisconnect = disconnect
            files.writeDisconnect(disconnect)
        }
    }

    var exclusiveUnitsAlive: Bool {
        instances.values.contains { $0.units.values.contains { $0.spec.exclusive && $0.lifecycle.hasProcesses } }
    }

    func resumeFenceWaiters() {
        guard !fenceWaiters.isEmpty, !exclusiveUnitsAlive else { return }
        for waiter in fenceWaiters { waiter.resume() }
        fenceWaiters = []
    }
}
