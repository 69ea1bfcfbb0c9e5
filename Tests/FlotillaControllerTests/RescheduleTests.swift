import FlotillaController
import FlotillaModel
import Testing

/// `web` (count 1, reschedule attempts 2, delay 10 s, max 25 s, interval 1 h) placed on one of
/// three machines at revision 6.
private func placedCluster() -> ClusterState {
    var record = stackRecord("web", count: 1)
    record.spec.reschedule = ReschedulePolicy(attempts: 2, interval: 3600, delay: 10, maxDelay: 25)
    var state = ClusterState(machines: ["m1", "m2", "m3"].map { machineRecord($0) },
                             stacks: ["web": .init(record: record, revision: 5)], revision: 5)
    state = applying(Reconciler.reconcile(state, options: options), to: state, revision: 6)
    return state
}

/// Reports web@1's unit in `unitState` with `restarts`, since `since`, for its current assignment.
private func report(_ state: inout ClusterState, _ unitState: UnitState, restarts: Int = 0, since: Double) {
    let stored = state.assignments["web@1"]!
    state.statuses["web@1"] = [UnitStatus(instance: "web@1", unit: "main", machine: stored.assignment.machine, state: unitState,
                                          exitCode: 1, restarts: restarts, since: since, fencingToken: stored.revision)]
}

private func at(_ now: Double, _ state: ClusterState) -> Decision {
    Reconciler.reconcile(state, options: Reconciler.Options(leader: "m1", now: now))
}

private func moved(_ decision: Decision) -> (from: String, to: String)? {
    var from: String?, to: String?
    for write in decision.writes {
        if case .unassign(let machine, "web@1") = write { from = machine }
        if case .assign(let a) = write, a.instance == "web@1" { to = a.machine }
    }
    return from.flatMap { f in to.map { (f, $0) } }
}

@Suite("Reschedule")
struct RescheduleTests {
    @Test("a unit restarting `attempts` times moves after the delay, to a machine it has not failed on, with an event and a record")
    func crashLoopMoves() throws {
        var state = placedCluster()
        let first = state.assignments["web@1"]!.assignment.machine
        report(&state, .restarting, restarts: 1, since: 1000)
        #expect(moved(at(1100, state)) == nil, "one restart is fewer than attempts")
        report(&state, .restarting, restarts: 2, since: 1000)
        let seen = at(1005, state)
        #expect(moved(seen) == nil && seen.rescheduling, "failing from now on: waits out the delay")
        state = applying(seen, to: state, revision: 7)
        report(&state, .running, restarts: 2, since: 1008)   // between restarts: still counts
        #expect(moved(at(1014, state)) == nil)
        let decision = at(1015, state)
        let move = try #require(moved(decision))
        #expect(move.from == first && move.to != first)
        let record = try #require(decision.writes.lazy.compactMap { if case .reschedule(let r) = $0 { r } else { nil } }.first)
        #expect(record.moves.map(\.from) == [first] && record.moves[0].reason == "main restarted 2 times, last: exit 1")
        #expect(decision.events.contains { $0.kind == "rescheduled" && $0.message.contains("failed on \(first)") })
        #expect(decision.events.contains { $0.kind == "moved" && $0.message.contains("rescheduled: it failed on \(first)") })

        // On its second machine it fails for good: it moves after the doubled delay (20 s), to
        // the third machine, never back to the first.
        state = applying(decision, to: state, revision: 8)
        let second = state.assignments["web@1"]!.assignment.machine
        report(&state, .failed, since: 1990)
        state = applying(at(2000, state), to: state, revision: 9)
        #expect(moved(at(2019, state)) == nil)
        let again = try #require(moved(at(2020, state)))
        #expect(again.from == second && again.to != first && again.to != second)
    }

    @Test("when every machine was failed on, the instance is unplaced with that reason")
    func everyMachineAvoided() {
        var state = placedCluster()
        let here = state.assignments["web@1"]!.assignment.machine
        let others = ["m1", "m2", "m3"].filter { $0 != here }
        state.reschedules["web@1"] = RescheduleRecord(instance: "web@1", stack: "web",
                                                      moves: others.map { .init(from: $0, at: 900, reason: "x") })
        report(&state, .failed, since: 0)
        state = applying(at(3000, state), to: state, revision: 7)
        let decision = at(3025, state)   // two moves within the interval: 10 s doubled twice, at most 25 s
        #expect(decision.unplaced["web@1"]?.contains("the instance failed there (reschedule)") == true, "\(decision.unplaced)")
    }

    @Test("an unassigned instance (an exclusive one stopped for its move) still avoids the machines it failed on")
    func unassignedStillAvoids() {
        var state = placedCluster()
        let here = state.assignments["web@1"]!.assignment.machine
        state.assignments["web@1"] = nil
        state.reschedules["web@1"] = RescheduleRecord(instance: "web@1", stack: "web", moves: [.init(from: here, at: 900, reason: "x")])
        let decision = at(1000, state)
        let placed = decision.writes.compactMap { if case .assign(let a) = $0 { a.machine } else { nil } }
        #expect(placed.count == 1 && placed[0] != here)
    }

    @Test("moves older than the interval are forgotten")
    func intervalForgets() {
        var state = placedCluster()
        state.reschedules["web@1"] = RescheduleRecord(instance: "web@1", stack: "web", moves: [.init(from: "m9", at: 100, reason: "x")])
        let decision = at(100 + 3601, state)
        #expect(decision.writes.contains(.forgetReschedule(instance: "web@1")))
    }

    @Test("the delay doubles per move within the interval, up to max_delay")
    func backOff() {
        let policy = ReschedulePolicy(delay: 30, maxDelay: 100)
        #expect([0, 1, 2, 3].map(policy.delay(afterMoves:)) == [30, 60, 100, 100])
    }
}
