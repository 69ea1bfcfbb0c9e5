import FlotillaAPI
import FlotillaModel
import Testing

/// A placed instance of `web` with one unit reporting `state`.
private func placed(_ instance: String, specRevision: Int64 = 10, token: Int64 = 11, status: UnitStatus?,
                    health: Bool = false) -> InstanceReport {
    InstanceReport(instance: instance, stack: "web", desired: .launched, placement: .placed, expected: true, machine: "m1",
                   specRevision: specRevision, fencingToken: token,
                   units: [UnitReport(name: "main", hasHealthCheck: health, isScheduled: false, status: status,
                                      current: (status?.fencingToken ?? -1) >= token)])
}

/// A report of stack `web` at spec revision 10, which the controller decided about at `decided`.
private func report(decided: Int64? = 10, rollout: RolloutRecord? = nil, _ instances: InstanceReport...) -> StatusReport {
    StatusReport(revision: 20, stacks: [StackSummary(name: "web", desired: .launched, revision: 10, scale: .count(instances.count),
                                                     expected: instances.count, isUnitFile: false, decidedRevision: decided,
                                                     rollout: rollout)],
                 instances: instances)
}

/// The controller's rollout of web's spec revision `revision` (version 2), in `phase`.
private func rolloutRecord(_ phase: RolloutRecord.Phase, revision: Int64 = 10) -> RolloutRecord {
    var record = RolloutRecord(stack: "web", specRevision: revision, version: 2, fromVersion: 1, startedAt: 0)
    record.phase = phase
    return record
}

@Suite("Rollout")
struct RolloutTests {
    let rollout = Rollout(stacks: ["web"], revision: 10)

    @Test("ready once every unit of the applied spec runs, and healthy where it has a check")
    func ready() {
        let running = unitStatus("web@1", "main", on: "m1", .running, token: 11)
        #expect(rollout.evaluate(report(placed("web@1", status: running))).outcome == .ready)
        let unchecked = rollout.evaluate(report(placed("web@1", status: running, health: true)))
        #expect(unchecked.outcome == nil && unchecked.instances.first?.phase == .checkingHealth)
        let healthy = unitStatus("web@1", "main", on: "m1", .running, token: 11, health: .healthy)
        #expect(rollout.evaluate(report(placed("web@1", status: healthy, health: true))).outcome == .ready)
    }

    @Test("records from before the apply do not count: older spec, older fencing token, older controller decision")
    func staleRecords() {
        let running = unitStatus("web@1", "main", on: "m1", .running, token: 11)
        let oldSpec = rollout.evaluate(report(placed("web@1", specRevision: 9, status: running)))
        #expect(oldSpec.outcome == nil && oldSpec.instances.first?.phase == .scheduling)
        let oldToken = rollout.evaluate(report(placed("web@1", token: 12, status: running)))
        #expect(oldToken.instances.first?.phase == .assigned)
        var unplaced = InstanceReport(instance: "web@2", stack: "web", desired: .launched, placement: .unplaced, expected: true,
                                      unplaced: UnplacedInfo(reason: "old", since: 0, specRevision: 9))
        let waiting = rollout.evaluate(report(decided: 9, unplaced))
        #expect(waiting.outcome == nil && waiting.undecided == ["web"] && waiting.instances.isEmpty)
        #expect(rollout.evaluate(report(decided: nil)).undecided == ["web"])
        unplaced.unplaced = UnplacedInfo(reason: "0/1 machines fit web@2", since: 0, specRevision: 10)
        let fresh = rollout.evaluate(report(unplaced))
        #expect(fresh.outcome == .unplaced && fresh.instances.first?.reason == "0/1 machines fit web@2")
    }

    @Test("a unit without a health check counts as running only once the waiter says it settled")
    func settling() {
        let running = unitStatus("web@1", "main", on: "m1", .running, token: 11)
        let fresh = rollout.evaluate(report(placed("web@1", status: running))) { _, _ in false }
        #expect(fresh.outcome == nil && fresh.instances.first?.phase == .starting)
        #expect(rollout.evaluate(report(placed("web@1", status: running))) { _, _ in true }.outcome == .ready)
    }

    @Test("a failed unit or a crash loop (3 restarts) fails the rollout; fewer restarts keep waiting")
    func failures() {
        let failed = unitStatus("web@1", "main", on: "m1", .failed, token: 11, exitCode: 3)
        let state = rollout.evaluate(report(placed("web@1", status: failed)))
        #expect(state.outcome == .unitFailed && state.instances.first?.failedUnits.first?.exitCode == 3)
        let looping = unitStatus("web@1", "main", on: "m1", .restarting, token: 11, restarts: 3)
        #expect(rollout.evaluate(report(placed("web@1", status: looping))).outcome == .unitFailed)
        let retrying = unitStatus("web@1", "main", on: "m1", .restarting, token: 11, restarts: 2)
        #expect(rollout.evaluate(report(placed("web@1", status: retrying))).outcome == nil)
    }

    @Test("a failed unit wins over an unplaced instance, and one instance still starting keeps the rollout open")
    func mixed() {
        let failed = unitStatus("web@1", "main", on: "m1", .failed, token: 11)
        let starting = unitStatus("web@3", "main", on: "m1", .starting, token: 11)
        let unplaced = InstanceReport(instance: "web@2", stack: "web", desired: .launched, placement: .unplaced, expected: true,
                                      unplaced: UnplacedInfo(reason: "no room", since: 0, specRevision: 10))
        #expect(rollout.evaluate(report(placed("web@1", status: failed), unplaced)).outcome == .unitFailed)
        let open = rollout.evaluate(report(placed("web@3", status: starting), placed("web@4", status: unitStatus("web@4", "main", on: "m1", .running, token: 11))))
        #expect(open.outcome == nil)
        #expect(open.instances.map(\.phase) == [.starting, .running])
    }

    @Test("during a rollout, instances on the old spec wait their turn, a failing new unit waits for the controller's verdict, and ready needs the rollout to have succeeded")
    func rollingStack() {
        let running = unitStatus("web@1", "main", on: "m1", .running, token: 11)
        let failed = unitStatus("web@1", "main", on: "m1", .failed, token: 11)
        let old = placed("web@2", specRevision: 9, status: unitStatus("web@2", "main", on: "m1", .running, token: 5))
        let rolling = rollout.evaluate(report(rollout: rolloutRecord(.running), placed("web@1", status: running), old))
        #expect(rolling.outcome == nil)
        #expect(rolling.instances.map(\.phase) == [.running, .queued])
        let failing = rollout.evaluate(report(rollout: rolloutRecord(.running), placed("web@1", status: failed)))
        #expect(failing.outcome == nil, "the rollout's verdict decides")
        #expect(rollout.evaluate(report(rollout: rolloutRecord(.running), placed("web@1", status: running))).outcome == nil,
                "running but not yet healthy for min_healthy_time")
        #expect(rollout.evaluate(report(rollout: rolloutRecord(.succeeded), placed("web@1", status: running))).outcome == .ready)
    }

    @Test("a failed rollout ends the wait: reverted (said by the revert's record) or not")
    func failedRollout() {
        var failed = rolloutRecord(.failed)
        failed.message = "web@1 was not healthy"
        let plain = rollout.evaluate(report(rollout: failed))
        #expect(plain.outcome == .rolloutFailed)
        #expect(plain.failures == [RolloutFailure(stack: "web", label: "version 2", message: "web@1 was not healthy", revertedTo: nil, reverted: false)])
        failed.revertedTo = 3
        #expect(rollout.evaluate(report(rollout: failed)).failures.first?.reverted == true)
        var revert = rolloutRecord(.running, revision: 14)
        revert.version = 3
        revert.revertOf = .init(specRevision: 10, version: 2, message: "web@1 was not healthy")
        let reverting = rollout.evaluate(report(rollout: revert))
        #expect(reverting.outcome == .rolloutFailed)
        #expect(reverting.failures.first?.sentence == "web: the rollout of version 2 failed: web@1 was not healthy; reverted automatically (the earlier spec is stored again as version 3)")
    }
}
