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
    /// have started; fenced exclusive units start again.
    package func unfence() {
        fenceToken = nil
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

    /// Tells the fence watchdog which exclusive units have processes now (see ``FenceFiles``):
    /// after every settle, and before anything is spawned for an exclusive unit (`starting`),
    /// listing its cgroup — so an agent frozen right after a spawn leaves nothing unguarded
    /// (where the machine has cgroups; without them a unit is listed once its main process
    /// runs).
    func listExclusive(starting: (instance: String, unit: String)? = nil) {
        guard let files = configuration.fenceFiles else { return }
        var units: [FencedUnit] = []
        for name in instances.keys.sorted() {
            for unit in instances[name]!.order {
                guard let run = instances[name]!.units[unit], run.spec.exclusive else { continue }
                let spawning = starting.map { $0.instance == name && $0.unit == unit } ?? false
                guard run.lifecycle.hasProcesses || spawning else { continue }
                let cgroups = run.cgroup?.paths ?? []
                if run.lifecycle.main != nil, let main = run.main {
                    units.append(FencedUnit(pid: main.pid, startTime: main.startTime, processGroup: main.processGroup, cgroups: cgroups))
                } else if !cgroups.isEmpty {
                    units.append(FencedUnit(pid: 0, startTime: 0, processGroup: 0, cgroups: cgroups))
                }
            }
        }
        guard units != listedExclusive else { return }
        listedExclusive = units
        files.writeExclusive(units)
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
