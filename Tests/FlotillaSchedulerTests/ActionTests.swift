import FlotillaModel
import FlotillaScheduler
import Testing

@Suite struct ActionTests {
    @Test func replanningAnUnchangedClusterOnlyKeeps() {
        let machines = Build.machines(4)
        let stacks = [Build.stack("web", count: 3, cpu: 500, spread: .machine), Build.stack("db", cpu: 1000)]
        let first = Build.plan(machines, stacks)
        let again = Build.plan(machines, stacks, assignments: first.placements, seed: 99)
        #expect(again.kinds.keep == 4)
        #expect(again.kinds.place + again.kinds.stop + again.kinds.move == 0)
        #expect(again.placements == first.placements)
    }

    @Test func unwantedInstancesStop() {
        let machines = Build.machines(2)
        let plan = Build.plan(machines, [Build.stack("web", count: 1)],
                              assignments: ["web@1": "m01", "web@2": "m02", "gone@1": "m01", "old.service": "m02"])
        #expect(plan.action("web@1") == .keep(instance: "web@1", stack: "web", machine: "m01"))
        #expect(plan.action("web@2") == .stop(instance: "web@2", stack: "web", machine: "m02", reason: "scaled down to 1"))
        #expect(plan.action("gone@1") == .stop(instance: "gone@1", stack: "gone", machine: "m01", reason: "stack removed"))
        #expect(plan.action("old.service") == .stop(instance: "old.service", stack: "old.service", machine: "m02", reason: "stack removed"))
        #expect(plan.actions.map(\.instance) == ["gone@1", "old.service", "web@1", "web@2"])
    }

    @Test func instancesOfADeadMachineMove() {
        let machines = [Build.machine("a", alive: false), Build.machine("b")]
        let plan = Build.plan(machines, [Build.stack("web", count: 2, exclusive: true)], assignments: ["web@1": "a", "web@2": "b"])
        #expect(plan.action("web@1") == .move(instance: "web@1", stack: "web", from: "a", to: "b", reason: "machine a is down"))
        #expect(plan.action("web@2") == .keep(instance: "web@2", stack: "web", machine: "b"))
    }

    @Test func instancesOfAMachineThatLeftMove() {
        let plan = Build.plan([Build.machine("b")], [Build.stack("web")], assignments: ["web@1": "zz"])
        #expect(plan.action("web@1") == .move(instance: "web@1", stack: "web", from: "zz", to: "b", reason: "machine zz left the cluster"))
    }

    @Test func aDeadMachinesInstanceThatFitsNowhereFailsAndStops() {
        let machines = [Build.machine("a", alive: false), Build.machine("b", memory: 1 << 30)]
        let plan = Build.plan(machines, [Build.stack("db", memory: 2 << 30)], assignments: ["db@1": "a"])
        guard case .stop(_, _, "a", _) = plan.action("db@1") else {
            Issue.record("expected a stop, got \(String(describing: plan.action("db@1")))")
            return
        }
        #expect(plan.failure("db@1")?.description == "0/2 machines fit db@1: 1 machine down, 1 memory exhausted (needs 2Gi, most free 1Gi)")
    }

    @Test func anInvalidPlacementOnALiveMachineMoves() {
        let machines = [Build.machine("a", ["disk": "hdd"]), Build.machine("b", ["disk": "ssd"])]
        let rules = PlacementRules(metadata: ["disk": ["ssd"]])
        let plan = Build.plan(machines, [Build.stack("db", placement: rules)], assignments: ["db@1": "a"])
        #expect(plan.action("db@1") == .move(instance: "db@1", stack: "db", from: "a", to: "b",
                                             reason: "no longer fits a: metadata disk=ssd not matched"))
    }

    @Test func anExclusiveInstanceOnALiveMachineStopsInsteadOfMoving() {
        let machines = [Build.machine("a", ["disk": "hdd"]), Build.machine("b", ["disk": "ssd"])]
        let rules = PlacementRules(metadata: ["disk": ["ssd"]])
        let stack = Build.stack("db", exclusive: true, placement: rules)
        let plan = Build.plan(machines, [stack], assignments: ["db@1": "a"])
        #expect(plan.action("db@1") == .stop(instance: "db@1", stack: "db", machine: "a", reason: "exclusive: stops before it is placed again"))
        #expect(plan.failures.isEmpty)
        // The next pass places it.
        let next = Build.plan(machines, [stack], assignments: plan.placements)
        #expect(next.action("db@1") == .place(instance: "db@1", stack: "db", machine: "b"))
    }

    @Test func overcommittedMachinesShedTheLaterInstances() {
        // Capacity shrank: only one of the two fits; the second in instance order moves.
        let machines = [Build.machine("a", cpu: 1000), Build.machine("b", cpu: 1000)]
        let plan = Build.plan(machines, [Build.stack("w", count: 2, cpu: 600)], assignments: ["w@1": "a", "w@2": "a"])
        #expect(plan.action("w@1") == .keep(instance: "w@1", stack: "w", machine: "a"))
        #expect(plan.action("w@2") == .move(instance: "w@2", stack: "w", from: "a", to: "b",
                                            reason: "no longer fits a: cpu exhausted (needs 600m, most free 400m)"))
    }

    @Test func followersMoveWithTheirTarget() {
        let machines = [Build.machine("a", alive: false), Build.machine("b")]
        let plan = Build.plan(machines, [Build.stack("db"), Build.stack("app", placement: PlacementRules(machineOf: ["db@1"]))],
                              assignments: ["db@1": "a", "app@1": "a"])
        #expect(plan.placements == ["db@1": "b", "app@1": "b"])
        #expect(plan.kinds.move == 2)
    }

    @Test func globalStacksRunOnEveryEligibleMachine() {
        let machines = [Build.machine("a", ["role": "web"]), Build.machine("b", ["role": "web"], memory: 1 << 20),
                        Build.machine("c", ["role": "db"]), Build.machine("d", ["role": "web"]), Build.machine("e", ["role": "web"], alive: false)]
        let stacks = [Build.stack("agent", memory: 64 << 20, placement: PlacementRules(metadata: ["role": ["web"]], conflicts: [Glob("lonely")]), global: true),
                      Build.stack("lonely", placement: PlacementRules(machineID: "d"))]
        // lonely already runs on d (global stacks are placed before counted ones in a pass).
        let plan = Build.plan(machines, stacks, assignments: ["lonely@1": "d"])
        #expect(plan.placements["agent@a"] == "a")
        #expect(plan.placements["agent@c"] == nil)
        #expect(plan.placements["agent@d"] == nil) // conflicts with lonely: not eligible, not a failure
        #expect(plan.placements["lonely"] == nil && plan.placements["lonely@1"] == "d")
        #expect(plan.failures.map(\.description) == ["0/5 machines fit agent@b: 3 not machine b, 1 machine down, 1 memory exhausted (needs 64Mi, most free 1Mi)"])
        // The machine loses its label: the instance stops.
        var relabelled = machines
        relabelled[0] = Build.machine("a", ["role": "db"])
        let after = Build.plan(relabelled, stacks, assignments: plan.placements)
        #expect(after.action("agent@a") == .stop(instance: "agent@a", stack: "agent", machine: "a", reason: "machine a no longer eligible"))
        #expect(after.kinds.place == 0 && after.kinds.move == 0)
    }

    @Test func sameSeedSamePlanAndActionsSortedByInstance() {
        let machines = Build.machines(20)
        let stacks = [Build.stack("web", count: 15, cpu: 300), Build.stack("db", count: 4, cpu: 900, spread: .machine)]
        let one = Build.plan(machines, stacks, seed: 42)
        #expect(one == Build.plan(machines, stacks, seed: 42))
        let names = one.actions.map(\.instance)
        #expect(names == names.sorted())
    }
}
