import FlotillaModel
import FlotillaScheduler
import Testing

/// Cordoned machines take no new instances and keep theirs; draining machines lose theirs
/// (exclusive ones stop first); a global stack's instance belongs to its machine either way.
@Suite("Scheduler: cordon and drain")
struct CordonTests {
    private func machine(_ id: String, cordoned: Bool = false, draining: Bool = false) -> MachineState {
        var state = Build.machine(id)
        state.cordoned = cordoned || draining
        state.draining = draining
        return state
    }

    @Test("a cordoned machine keeps its instances and gets no new one; it says so when nothing else fits")
    func cordonKeepsAndRefuses() {
        let machines = [machine("a", cordoned: true), machine("b")]
        let plan = Build.plan(machines, [Build.stack("web", count: 3)], assignments: ["web@1": "a"])
        #expect(plan.action("web@1") == .keep(instance: "web@1", stack: "web", machine: "a"))
        #expect(plan.placements["web@2"] == "b" && plan.placements["web@3"] == "b")
        let full = Build.plan([machine("a", cordoned: true)], [Build.stack("web")])
        #expect(full.failure("web@1")?.description == "0/1 machines fit web@1: 1 machine cordoned")
    }

    @Test("a draining machine's instances move; an exclusive one stops before it is placed again")
    func drainMoves() {
        let machines = [machine("a", draining: true), machine("b")]
        let plan = Build.plan(machines, [Build.stack("web"), Build.stack("db", exclusive: true)],
                              assignments: ["web@1": "a", "db@1": "a"])
        #expect(plan.action("web@1") == .move(instance: "web@1", stack: "web", from: "a", to: "b", reason: "machine a is draining"))
        #expect(plan.action("db@1") == .stop(instance: "db@1", stack: "db", machine: "a",
                                              reason: "machine a is draining; exclusive: stops before it is placed again"))
        let next = Build.plan(machines, [Build.stack("web"), Build.stack("db", exclusive: true)], assignments: ["web@1": "b"])
        #expect(next.action("db@1") == .place(instance: "db@1", stack: "db", machine: "b"))
    }

    @Test("a global stack runs on cordoned and draining machines too")
    func globalStays() {
        let machines = [machine("a", draining: true), machine("b", cordoned: true), machine("c")]
        let plan = Build.plan(machines, [Build.stack("agent", global: true)])
        #expect(plan.placements.values.sorted() == ["a", "b", "c"])
        let again = Build.plan(machines, [Build.stack("agent", global: true)], assignments: plan.placements)
        #expect(again.kinds.keep == 3)
    }
}
