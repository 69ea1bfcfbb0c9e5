import FlotillaModel
import FlotillaScheduler
import Testing

@Suite struct FailureWordingTests {
    /// 12 machines: 2 without `disk=ssd`, 3 running lamp@1…3 (lamp conflicts with `lamp@*`),
    /// and 7 with only 256Mi of memory. lamp@4 fits none.
    @Test func aFailureWithSeveralReasonsReadsExactly() {
        var machines: [MachineState] = []
        for i in 1...2 { machines.append(Build.machine("hdd\(i)", ["disk": "hdd"])) }
        for i in 1...3 { machines.append(Build.machine("big\(i)", ["disk": "ssd"], memory: 4 << 30)) }
        for i in 1...7 { machines.append(Build.machine("small\(i)", ["disk": "ssd"], memory: 256 << 20)) }
        let lamp = Build.stack("lamp", count: 4, memory: 512 << 20,
                               placement: PlacementRules(metadata: ["disk": ["ssd"]], conflicts: [Glob("lamp@*")]))
        let plan = Build.plan(machines, [lamp])
        #expect(plan.placements.count == 3)
        #expect(plan.failures.count == 1)
        #expect(plan.failures.first?.description
                == "0/12 machines fit lamp@4: 7 memory exhausted (needs 512Mi, most free 256Mi), 3 conflict with lamp@*, 2 metadata disk=ssd not matched")
    }

    @Test func reasonsCountEveryMachineOnceInCheckOrder() {
        // The dead machine would also lack metadata: it counts as down only.
        let machines = [Build.machine("a", alive: false), Build.machine("b"), Build.machine("c", ["disk": "ssd"], cpu: 100)]
        let plan = Build.plan(machines, [Build.stack("x", cpu: 500, placement: PlacementRules(metadata: ["disk": ["ssd"]]))])
        let failure = plan.failure("x@1")
        #expect(failure?.reasons.reduce(0) { $0 + $1.count } == 3)
        #expect(failure?.description == "0/3 machines fit x@1: 1 cpu exhausted (needs 500m, most free 100m), 1 machine down, 1 metadata disk=ssd not matched")
    }

    @Test func anEmptyClusterSaysSo() {
        let plan = Build.plan([], [Build.stack("x")])
        #expect(plan.failure("x@1")?.description == "0/0 machines fit x@1: the cluster has no machines")
    }
}
