import FlotillaController
import FlotillaModel
import Testing

@Suite("Disruption budgets")
struct DisruptionTests {
    /// Reports every unit of `instance` running for its current assignment.
    private func running(_ state: inout ClusterState, _ instance: String) {
        let stored = state.assignments[instance]!
        state.statuses[instance] = [UnitStatus(instance: instance, unit: "main", machine: stored.assignment.machine,
                                               state: .running, pid: 1, since: 0, fencingToken: stored.revision)]
    }

    /// `web` (count 3, `max_unavailable: 1`) placed on two machines, bin-packed onto one:
    /// the state and that machine.
    private func placedWithBudget() -> (ClusterState, String) {
        var record = stackRecord("web", count: 3, spread: nil)
        record.spec.disruption = DisruptionBudget(maxUnavailable: 1)
        var state = ClusterState(machines: ["m1", "m2"].map { machineRecord($0) },
                                 stacks: ["web": .init(record: record, revision: 5)], revision: 5)
        state = applying(Reconciler.reconcile(state, options: options), to: state, revision: 6)
        return (state, state.assignments["web@1"]!.assignment.machine)
    }

    private func moves(_ decision: Decision) -> [String] {
        decision.writes.compactMap { if case .assign(let a) = $0 { a.instance } else { nil } }.sorted()
    }

    @Test("a drain moves at most max_unavailable instances of a stack at a time, the next once the moved one runs")
    func drainRespectsBudget() {
        var (state, source) = placedWithBudget()
        #expect(state.assignments.values.allSatisfy { $0.assignment.machine == source }, "bin-packed on one machine")
        for instance in ["web@1", "web@2", "web@3"] { running(&state, instance) }
        state.cordons[source] = CordonRecord(machine: source, draining: true, since: 0)

        var decision = Reconciler.reconcile(state, options: options)
        #expect(moves(decision) == ["web@1"], "one at a time")
        #expect(decision.rescheduling, "decides again while the drain waits")
        state = applying(decision, to: state, revision: 7)
        #expect(moves(Reconciler.reconcile(state, options: options)).isEmpty, "web@1 is not running on its new machine yet")
        running(&state, "web@1")
        decision = Reconciler.reconcile(state, options: options)
        #expect(moves(decision) == ["web@2"])
    }

    @Test("a draining machine that dies loses its instances at once, budget or not")
    func deadDrainingMachine() {
        var (state, source) = placedWithBudget()
        state.cordons[source] = CordonRecord(machine: source, draining: true, since: 0)
        state.machines.removeAll { $0.id == source }
        #expect(moves(Reconciler.reconcile(state, options: options)).count == 3)
    }

    @Test("without a budget a drain moves everything at once")
    func noBudget() {
        var state = ClusterState(machines: ["m1", "m2"].map { machineRecord($0) },
                                 stacks: ["web": .init(record: stackRecord("web", count: 3, spread: nil), revision: 5)], revision: 5)
        state = applying(Reconciler.reconcile(state, options: options), to: state, revision: 6)
        let source = state.assignments["web@1"]!.assignment.machine
        state.cordons[source] = CordonRecord(machine: source, draining: true, since: 0)
        #expect(moves(Reconciler.reconcile(state, options: options)).count == 3)
    }
}
