import ArgumentParser
import FlotillaModel
import FlotillaScheduler
import FlotillaTesting

/// `flotilla-bench scheduler`: times `Scheduler.plan` on generated clusters and prints one line
/// per scenario ending in `N placements/s`. Exits non-zero when re-planning an unchanged
/// cluster places anything.
struct SchedulerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Time scheduling passes on generated clusters.")

    @Option(help: "Seed of the generated clusters, stacks and scheduling passes.")
    var seed: UInt64 = 1

    @Option(name: .customLong("repeat"), help: "Passes per scenario; the best and the median are reported.")
    var repetitions: Int = 3

    @Option(help: "Scale factor for machines and instances (1 = the documented sizes).")
    var scale: Double = 1

    mutating func run() throws {
        let runs = max(1, repetitions)
        func size(_ n: Int) -> Int { max(1, Int(Double(n) * scale)) }

        let small = RandomCluster(machines: size(1_000), seed: seed).snapshot()
        var smallStacks = RandomStacks(stacks: size(200), instances: size(10_000), seed: seed)
        smallStacks.globalShare = 0
        report("\(label(size(1_000))) machines / \(label(size(10_000))) instances (mixed rules)",
               measure(SchedulingRequest(cluster: small, stacks: smallStacks.generate(for: small), seed: seed), runs: runs))

        let large = RandomCluster(machines: size(10_000), seed: seed).snapshot()
        var largeSettings = RandomStacks(stacks: size(2_000), instances: size(100_000), seed: seed)
        largeSettings.metadataShare = 0.5
        largeSettings.selfConflictShare = 0.5
        largeSettings.otherConflictShare = 0.02
        largeSettings.spreadMachineShare = 0.05
        largeSettings.spreadZoneShare = 0.1
        largeSettings.portShare = 0.05
        largeSettings.machineOfShare = 0
        largeSettings.replacesShare = 0
        largeSettings.machineIDShare = 0
        let largeRequest = SchedulingRequest(cluster: large, stacks: largeSettings.generate(for: large), seed: seed)
        let largeResult = measure(largeRequest, runs: runs)
        report("\(label(size(10_000))) machines / \(label(size(100_000))) instances (metadata, conflicts-spread, resources)", largeResult)

        var unit = UnitSpec(name: "agent")
        unit.resources = Resources(cpu: 100, memory: 128 << 20)
        let global = StackSpec(name: "node-exporter", scale: .global, units: [unit])
        report("global stack on \(label(size(10_000))) machines",
               measure(SchedulingRequest(cluster: large, stacks: [global], seed: seed), runs: runs))

        var replan = largeRequest
        replan.assignments = largeResult.plan.placements
        let again = measure(replan, runs: runs)
        let keeps = again.plan.actions.filter { if case .keep = $0 { true } else { false } }.count
        let changes = again.plan.actions.count - keeps
        print("scheduler: re-plan unchanged \(label(size(10_000))) machines / \(label(size(100_000))) instances: "
              + "\(again.plan.placementCount) placements, \(changes) changes, \(keeps) keeps, re-plan \(seconds(again.best)) "
              + "(median \(seconds(again.median))), \(again.plan.placementCount) placements/s")
        if changes != 0 { throw ExitCode(1) }
    }

    /// One scenario's timings and its (last) plan.
    struct Measurement {
        var plan: Plan
        var best: Duration
        var median: Duration
    }

    private func measure(_ request: SchedulingRequest, runs: Int) -> Measurement {
        var times: [Duration] = []
        var plan = Plan(actions: [], failures: [])
        let clock = ContinuousClock()
        for _ in 0..<runs {
            let start = clock.now
            plan = Scheduler.plan(request)
            times.append(clock.now - start)
        }
        times.sort()
        return Measurement(plan: plan, best: times[0], median: times[times.count / 2])
    }

    private func report(_ scenario: String, _ m: Measurement) {
        let placed = m.plan.placementCount
        let rate = Double(placed) / max(1e-9, m.best.seconds)
        let medianRate = Double(placed) / max(1e-9, m.median.seconds)
        print("scheduler: \(scenario): \(placed) placed, \(m.plan.failures.count) failures, best \(seconds(m.best)), "
              + "median \(seconds(m.median)) (\(grouped(Int(medianRate))) placements/s median), \(grouped(Int(rate))) placements/s")
    }

    private func label(_ n: Int) -> String { n % 1000 == 0 ? "\(n / 1000)k" : "\(n)" }

    private func seconds(_ d: Duration) -> String {
        let millis = Int((d.seconds * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) s"
    }

    private func grouped(_ n: Int) -> String {
        var digits = String(n)
        var result = ""
        while digits.count > 3 {
            result = "," + digits.suffix(3) + result
            digits.removeLast(3)
        }
        return digits + result
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
