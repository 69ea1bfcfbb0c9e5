import FlotillaModel
import FlotillaScheduler
import FlotillaTesting
import Testing

@Suite struct PropertyTests {
    static func request(seed: UInt64) -> SchedulingRequest {
        var rng = SeededRandom(seed: seed)
        let cluster = RandomCluster(machines: 3 + rng.below(25), seed: seed, deadShare: 0.1).snapshot()
        var settings = RandomStacks(stacks: 2 + rng.below(10), instances: 10 + rng.below(80), seed: seed)
        settings.globalShare = 0.15
        settings.maxCPU = 2000
        settings.maxMemoryMiB = 4096
        return SchedulingRequest(cluster: cluster, stacks: settings.generate(for: cluster),
                                 strategy: rng.chance(0.5) ? .binpack : .spread, seed: seed)
    }

    @Test(arguments: 0..<200)
    func everyPlanKeepsEveryRule(seed: Int) {
        let request = Self.request(seed: UInt64(seed))
        let plan = Scheduler.plan(request)
        let problems = PlanChecker(request: request, plan: plan).violations()
        #expect(problems.isEmpty, "seed \(seed): \(problems.prefix(5))")
    }

    @Test(arguments: 0..<200)
    func replanningThePlanChangesNothing(seed: Int) {
        var request = Self.request(seed: UInt64(seed))
        let plan = Scheduler.plan(request)
        request.assignments = plan.placements
        request.seed &+= 1
        let again = Scheduler.plan(request)
        let kinds = again.kinds
        #expect(kinds.place == 0 && kinds.move == 0 && kinds.stop == 0, "seed \(seed): \(again.actions.filter { if case .keep = $0 { false } else { true } }.prefix(3))")
        #expect(again.placements == plan.placements)
    }

    @Test(arguments: 0..<50)
    func theSameSeedGivesTheSamePlan(seed: Int) {
        let request = Self.request(seed: UInt64(seed))
        #expect(Scheduler.plan(request) == Scheduler.plan(request))
    }

    @Test func theCheckerCatchesABrokenPlan() {
        let request = SchedulingRequest(cluster: ClusterSnapshot(machines: [Build.machine("a", cpu: 1000)]),
                                        stacks: [Build.stack("w", count: 2, cpu: 600, spread: .machine)])
        let bad = Plan(actions: [.place(instance: "w@1", stack: "w", machine: "a"), .place(instance: "w@2", stack: "w", machine: "a")],
                       failures: [])
        let problems = PlanChecker(request: request, plan: bad).violations()
        #expect(problems.contains("cpu overcommitted on a"))
        #expect(problems.contains("2 of w on a despite spread: machine"))
    }

    @Test func generatorsAreDeterministic() {
        let a = RandomCluster(machines: 20, seed: 5).snapshot(), b = RandomCluster(machines: 20, seed: 5).snapshot()
        #expect(a == b)
        #expect(RandomStacks(stacks: 10, instances: 50, seed: 5).generate(for: a) == RandomStacks(stacks: 10, instances: 50, seed: 5).generate(for: b))
    }
}

@Suite struct PropertyCoverageTests {
    /// The random cases reach every rule: otherwise the property tests would prove little.
    @Test func theRandomCasesExerciseEveryRule() {
        var reasons: Set<String> = []
        var globalPlaced = 0, followersPlaced = 0, placed = 0
        for seed in 0..<200 {
            let request = PropertyTests.request(seed: UInt64(seed))
            let plan = Scheduler.plan(request)
            placed += plan.placementCount
            for failure in plan.failures {
                for count in failure.reasons { reasons.insert(String(count.reason.text.prefix(while: { $0 != " " }))) }
            }
            for case .place(_, let stack, _) in plan.actions {
                let spec = request.stacks.first { $0.name == stack }!
                if spec.isGlobal { globalPlaced += 1 }
                if !spec.placement.machineOf.isEmpty { followersPlaced += 1 }
            }
        }
        #expect(placed > 2000)
        #expect(globalPlaced > 50)
        #expect(followersPlaced > 5)
        for word in ["machine", "not", "metadata", "conflict", "already", "port", "cpu", "memory"] {
            #expect(reasons.contains(word), "no failure with \(word) in \(reasons.sorted())")
        }
    }
}

@Suite struct ChurnPropertyTests {
    /// A planned cluster, then churn: a fifth of the machines die, some lose their labels or
    /// half their memory, some stacks shrink or grow, one disappears.
    static func churned(seed: Int) -> (SchedulingRequest, Plan) {
        var request = PropertyTests.request(seed: UInt64(seed))
        request.stacks = request.stacks.map { stack in
            var stack = stack
            stack.placement.replaces = []
            return stack
        }
        let plan = Scheduler.plan(request)
        var rng = SeededRandom(seed: UInt64(seed) &* 31 &+ 7)
        request.assignments = plan.placements
        request.cluster.machines = request.cluster.machines.map { state in
            var state = state
            if rng.chance(0.2) { state.alive = false }
            if rng.chance(0.1) { state.machine.metadata = ["zone": "z"] }
            if rng.chance(0.1) { state.machine.capacity.memory /= 2 }
            return state
        }
        request.stacks = request.stacks.dropLast().map { stack in
            var stack = stack
            if case .count(let n) = stack.scale, rng.chance(0.3) { stack.scale = .count(max(0, n + rng.below(5) - 2)) }
            return stack
        }
        request.seed &+= 1
        return (request, Scheduler.plan(request))
    }

    @Test(arguments: 0..<200)
    func aChurnedPlanStillKeepsEveryRule(seed: Int) {
        let (request, plan) = Self.churned(seed: seed)
        let problems = PlanChecker(request: request, plan: plan).violations()
        #expect(problems.isEmpty, "seed \(seed): \(problems.prefix(5))")
    }

    @Test func churnProducesEveryKindOfAction() {
        var moves = 0, stops = 0, keeps = 0, exclusiveStops = 0
        for seed in 0..<200 {
            let plan = Self.churned(seed: seed).1
            for action in plan.actions {
                switch action {
                case .move: moves += 1
                case .keep: keeps += 1
                case .stop(_, _, _, let reason):
                    stops += 1
                    if reason.hasPrefix("exclusive") { exclusiveStops += 1 }
                case .place: break
                }
            }
        }
        #expect(moves > 100 && stops > 100 && keeps > 1000 && exclusiveStops > 0)
    }
}
