import FlotillaController
import FlotillaModel
import Testing

/// The what-if behind a reboot grant: the cluster without the machine (and without the
/// slots' holders) must still place every instance, and disruption budgets must have room.
@Suite("Reboot capacity")
struct RebootCapacityTests {
    /// `web` (count `count`, one per machine) placed on machines m1…m3.
    func cluster(count: Int, budget: Int? = nil) -> ClusterState {
        var record = stackRecord("web", count: count)
        record.spec.disruption = budget.map { DisruptionBudget(maxUnavailable: $0) }
        let state = ClusterState(machines: ["m1", "m2", "m3"].map { machineRecord($0) },
                                 stacks: ["web": .init(record: record, revision: 5)], revision: 5)
        return applying(Reconciler.reconcile(state, options: Reconciler.Options(leader: "m1", now: 10)), to: state, revision: 6)
    }

    func options() -> Reconciler.Options { Reconciler.Options(leader: "m1", now: 20) }

    @Test("room without the machine: no problem; no room: the placement failure, also counting the holders")
    func room() throws {
        let two = cluster(count: 2)
        let machine = try #require(two.assignments["web@1"]?.assignment.machine)
        #expect(RebootCapacity.problems(state: two, machine: machine, away: [], options: options()) == [])
        let other = ["m1", "m2", "m3"].first { $0 != machine && $0 != two.assignments["web@2"]?.assignment.machine }!
        let problems = RebootCapacity.problems(state: two, machine: machine, away: [other], options: options())
        #expect(problems.count == 1 && problems[0].hasPrefix("without this machine and 1 other holding slots, 0/3 machines fit web@"), "\(problems)")
        let three = cluster(count: 3)
        #expect(RebootCapacity.problems(state: three, machine: "m1", away: [], options: options()).first?.contains("machines fit web@") == true)
    }

    @Test("a spent disruption budget stops a grant; the drain is done only when the stacks run elsewhere")
    func budgetAndDrain() throws {
        let state = cluster(count: 2, budget: 1)
        let machine = try #require(state.assignments["web@1"]?.assignment.machine)
        // No unit reported running yet: both instances are unavailable.
        let problems = RebootCapacity.problems(state: state, machine: machine, away: [], options: options())
        #expect(problems == ["stack web has 2 instances unavailable already; its disruption budget allows 1"])
        let holder = RebootHolder(machine: machine, since: 10, reason: "test", stacks: ["web"])
        let left = RebootCapacity.draining(state: state, holder: holder)
        #expect(left.count == 2 && left[0].hasPrefix("1 instance still on the machine (web@1)") && left[1] == "stack web: 2 instances not running elsewhere yet",
                "\(left)")
    }

    @Test("a global stack's instance does not hold up a drain: it belongs to the machine")
    func globalStays() throws {
        var agent = stackRecord("agent", count: 1)
        agent.spec.scale = .global
        var state = ClusterState(machines: ["m1", "m2"].map { machineRecord($0) },
                                 stacks: ["agent": .init(record: agent, revision: 5)], revision: 5)
        state = applying(Reconciler.reconcile(state, options: Reconciler.Options(leader: "m1", now: 10)), to: state, revision: 6)
        #expect(state.assignments.values.contains { $0.assignment.machine == "m1" })
        #expect(RebootCapacity.problems(state: state, machine: "m1", away: [], options: options()) == [])
        #expect(RebootCapacity.draining(state: state, holder: RebootHolder(machine: "m1", since: 10, reason: "test")) == [])
    }
}
