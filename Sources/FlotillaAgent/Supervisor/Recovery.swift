import FlotillaModel

/// Picks up what an earlier agent run left on this machine, from its run records.
///
/// - A main process that still runs (same pid and start time) is adopted: the unit is
///   `running` again and is never started a second time.
/// - A control process that still runs is killed with its group: the step it ran is not
///   resumed (the unit starts over, or is stopped, after the first apply).
/// - A unit that settled (`exited`, `failed`, a finished oneshot with `RemainAfterExit`)
///   stays as it was; one whose process died meanwhile goes back to `pending`, and
///   whatever its cgroup still holds is killed.
struct Recovery {
    let driver: any UnitDriver
    let records: RunRecordStore
    let sink: AsyncStream<Supervisor.Message>.Continuation
    let now: Double

    func adopt() -> [String: InstanceRun] {
        var result: [String: InstanceRun] = [:]
        for record in records.loadAll() {
            let name = record.spec.name
            if result[record.instance] == nil {
                let assignment = Assignment(instance: record.instance, stack: record.stack, machine: "", units: [],
                                            specRevision: record.specRevision, fencingToken: record.fencingToken,
                                            desired: record.desired)
                result[record.instance] = InstanceRun(assignment, now: now)
            }
            var unit = UnitRun(spec: record.spec, now: now)
            unit.lifecycle = restore(record)
            unit.main = record.main
            unit.cgroup = record.cgroup
            unit.lastRun = record.lastRun
            result[record.instance]!.assignment.units.append(record.spec)
            if let network = record.network {   // the namespace outlived the agent; the run keeps it
                result[record.instance]!.network = network
                result[record.instance]!.assignment.network = .overlay
            }
            result[record.instance]!.units[name] = unit
            result[record.instance]!.order.append(name)
        }
        return result
    }

    private func restore(_ record: UnitRunRecord) -> UnitLifecycle {
        if let control = record.control, driver.adopt(control, onExit: { _, _ in }) {
            driver.signal(control, SignalNumbers.kill)
        }
        let instance = record.instance
        let unit = record.spec.name
        let sink = self.sink
        if let main = record.main, driver.adopt(main, onExit: { process, status in
            sink.yield(.exited(instance: instance, unit: unit, process: process, status))
        }) {
            return UnitLifecycle(spec: record.spec, restoring: .running(main: main.pid), restarts: record.restarts,
                                 lastError: record.lastError, now: record.since ?? now)
        }
        let remains = record.spec.type == .oneshot || record.spec.type == .forking
        switch record.state {
        case .running where remains:
            return UnitLifecycle(spec: record.spec, restoring: .running(main: nil), restarts: record.restarts,
                                 lastError: record.lastError, now: record.since ?? now)
        case .exited:
            return UnitLifecycle(spec: record.spec, restoring: .exited, restarts: record.restarts, lastError: record.lastError, now: record.since ?? now)
        case .failed:
            return UnitLifecycle(spec: record.spec, restoring: .failed, restarts: record.restarts, lastError: record.lastError, now: record.since ?? now)
        default:
            if let cgroup = record.cgroup, !cgroup.paths.isEmpty { driver.signal(cgroup: cgroup, SignalNumbers.kill) }
            return UnitLifecycle(spec: record.spec, now: now)
        }
    }
}
