import FlotillaController
import FlotillaModel
import Testing

/// A cluster of three machines running `web` (count 3) from version 1, stored at revision 5
/// and placed at revision 6, each unit reported running since `now - 100`.
private func runningCluster(strategy: UpdateStrategy) -> ClusterState {
    var record = stackRecord("web", count: 3)
    record.spec.update = strategy
    record.version = 1
    var state = ClusterState(machines: ["m1", "m2", "m3"].map { machineRecord($0) },
                             stacks: ["web": .init(record: record, revision: 5)], revision: 5)
    state.versions["web"] = [.init(version: StackVersion(stack: "web", version: 1, at: 0, origin: "apply", change: "created",
                                                         record: record), revision: 5)]
    state = applying(Reconciler.reconcile(state, options: options), to: state, revision: 6)
    for instance in ["web@1", "web@2", "web@3"] { report(&state, instance, .running, at: 900) }
    return state
}

/// Stores version 2 of `web` (a new environment) at `revision`.
private func change(_ state: inout ClusterState, revision: Int64, variable: String = "v2") {
    var record = state.stacks["web"]!.record
    record.spec.units[0].environment = [EnvironmentVariable(name: "VERSION", value: variable)]
    record.version = (record.version ?? 0) + 1
    state.stacks["web"] = .init(record: record, revision: revision)
    state.versions["web", default: []].append(.init(version: StackVersion(
        stack: "web", version: record.version!, at: 0, origin: "apply", change: "unit main: environment", record: record), revision: revision))
    state.revision = revision
}

/// Reports `instance`'s unit in `unitState` for its current assignment.
private func report(_ state: inout ClusterState, _ instance: String, _ unitState: UnitState, at since: Double, restarts: Int = 0) {
    let stored = state.assignments[instance]!
    state.statuses[instance] = [UnitStatus(instance: instance, unit: "main", machine: stored.assignment.machine, state: unitState,
                                           pid: 100, restarts: restarts, since: since, fencingToken: stored.revision)]
}

private func reconcile(_ state: ClusterState, at now: Double) -> Decision {
    Reconciler.reconcile(state, options: Reconciler.Options(leader: "m1", now: now))
}

/// Instances assigned new units by a decision.
private func replaced(_ decision: Decision) -> [String] {
    decision.writes.compactMap { if case .assign(let a) = $0 { a.instance } else { nil } }.sorted()
}

private func rollout(_ decision: Decision) -> RolloutRecord? {
    decision.writes.lazy.compactMap { if case .rollout(let r) = $0 { r } else { nil } }.first
}

@Suite("Rollouts")
struct RolloutTests {
    @Test("a stopped (loaded) stack's new units are assigned at once: nothing runs to roll")
    func loadedStackDoesNotRoll() {
        var state = runningCluster(strategy: UpdateStrategy())
        var record = state.stacks["web"]!.record
        record.desired = .loaded
        state.stacks["web"] = .init(record: record, revision: 7)
        state = applying(reconcile(state, at: 1000), to: state, revision: 8)
        change(&state, revision: 10)
        let decision = reconcile(state, at: 1001)
        #expect(replaced(decision) == ["web@1", "web@2", "web@3"])
        #expect(rollout(decision) == nil && decision.rolling.isEmpty)
    }

    @Test("a changed spec replaces max_parallel instances at a time, each healthy for min_healthy_time before the next")
    func oneAtATime() throws {
        var state = runningCluster(strategy: UpdateStrategy(maxParallel: 1, minHealthyTime: 10))
        change(&state, revision: 10)
        var decision = reconcile(state, at: 1000)
        #expect(replaced(decision) == ["web@1"])
        let record = try #require(rollout(decision))
        #expect(record.phase == .running && record.version == 2 && record.fromVersion == 1)
        #expect(record.progress == .init(updated: 1, healthy: 0, total: 3))
        #expect(decision.rolling == ["web"])
        #expect(decision.events.contains { $0.kind == "rollout-started" })
        state = applying(decision, to: state, revision: 11)

        // Not reported yet: nothing else moves, and the old statuses do not count.
        decision = reconcile(state, at: 1001)
        #expect(replaced(decision).isEmpty)
        report(&state, "web@1", .running, at: 1002)
        decision = reconcile(state, at: 1003)
        #expect(replaced(decision).isEmpty, "healthy for 0s of 10s")
        state = applying(decision, to: state, revision: 12)
        #expect(state.rollouts["web"]?.healthySince["web@1"] == 1003)
        decision = reconcile(state, at: 1012)
        #expect(replaced(decision).isEmpty, "healthy for 9s of 10s")
        decision = reconcile(state, at: 1013)
        #expect(replaced(decision) == ["web@2"])
        state = applying(decision, to: state, revision: 13)
        report(&state, "web@2", .running, at: 1014)
        state = applying(reconcile(state, at: 1014), to: state, revision: 14)
        decision = reconcile(state, at: 1024)
        #expect(replaced(decision) == ["web@3"])
        state = applying(decision, to: state, revision: 15)
        report(&state, "web@3", .running, at: 1025)
        state = applying(reconcile(state, at: 1025), to: state, revision: 16)
        decision = reconcile(state, at: 1035)
        #expect(replaced(decision).isEmpty)
        #expect(rollout(decision)?.phase == .succeeded)
        #expect(rollout(decision)?.progress == .init(updated: 3, healthy: 3, total: 3))
        #expect(decision.rolling.isEmpty)
        state = applying(decision, to: state, revision: 17)
        let settled = reconcile(state, at: 1100)
        #expect(settled.writes.isEmpty && settled.events.isEmpty, "a finished rollout decides nothing more")
    }

    @Test("a unit that only moved in its file (another source location) is the same unit: no rollout, taken over in place")
    func locationOnly() {
        var state = runningCluster(strategy: UpdateStrategy())
        var record = state.stacks["web"]!.record
        record.spec.units[0].location = SourceLocation(file: "web.yaml", line: 42, column: 7)
        state.stacks["web"] = .init(record: record, revision: 10)
        let decision = reconcile(state, at: 1000)
        #expect(rollout(decision) == nil && decision.rolling.isEmpty)
        #expect(replaced(decision) == ["web@1", "web@2", "web@3"], "rewritten at the new spec revision, for the agents to take over")
        #expect(!decision.events.contains { $0.kind == "updated" })
    }

    @Test("max_parallel 2 replaces two at once")
    func twoAtATime() {
        var state = runningCluster(strategy: UpdateStrategy(maxParallel: 2, minHealthyTime: 0))
        change(&state, revision: 10)
        #expect(replaced(reconcile(state, at: 1000)) == ["web@1", "web@2"])
    }

    @Test("a count change with the same units replaces nothing and starts no rollout")
    func countOnly() {
        var state = runningCluster(strategy: UpdateStrategy())
        var record = state.stacks["web"]!.record
        record.spec.scale = .count(2)
        state.stacks["web"] = .init(record: record, revision: 10)
        let decision = reconcile(state, at: 1000)
        #expect(rollout(decision) == nil)
        #expect(decision.rolling.isEmpty)
    }

    @Test("a replaced unit that fails fails the rollout and writes the version it replaced back; the revert then rolls")
    func failureReverts() throws {
        var state = runningCluster(strategy: UpdateStrategy(maxParallel: 1, minHealthyTime: 0))
        change(&state, revision: 10)
        state = applying(reconcile(state, at: 1000), to: state, revision: 11)
        report(&state, "web@1", .failed, at: 1001)
        let decision = reconcile(state, at: 1002)
        #expect(replaced(decision).isEmpty)
        let record = try #require(rollout(decision))
        #expect(record.phase == .failed && record.revertedTo == 3)
        #expect(record.message?.contains("web@1/main") == true)
        let revert = try #require(decision.reverts.first)
        #expect(revert.record.version == 3 && revert.expectedRevision == 10)
        #expect(revert.record.spec.units == state.versions["web"]![0].version.record.spec.units)
        #expect(decision.events.contains { $0.kind == "rollout-failed" && $0.message.contains("reverting to version 1") })

        // The revert is stored at revision 20: web@1 (on the failed spec) is replaced, the
        // others already run those units and are only taken over.
        state = applying(decision, to: state, revision: 12)
        state.stacks["web"] = .init(record: revert.record, revision: 20)
        state.versions["web"]!.append(.init(version: StackVersion(stack: "web", version: 3, at: 0, origin: revert.origin,
                                                                  change: "", record: revert.record), revision: 20))
        let back = reconcile(state, at: 1003)
        let assigned = back.writes.compactMap { if case .assign(let a) = $0 { a } else { nil } }
        #expect(Set(assigned.map(\.instance)) == ["web@1", "web@2", "web@3"])
        #expect(assigned.allSatisfy { $0.specRevision == 20 && $0.units == revert.record.spec.units })
        let reverting = try #require(rollout(back))
        #expect(reverting.revertOf == .init(specRevision: 10, version: 2, message: record.message!))
        #expect(reverting.updated.keys.sorted() == ["web@1"])
    }

    @Test("a revert the failed record promises but the store does not have is written again")
    func revertWrittenAgain() throws {
        var state = runningCluster(strategy: UpdateStrategy(maxParallel: 1, minHealthyTime: 0))
        change(&state, revision: 10)
        state = applying(reconcile(state, at: 1000), to: state, revision: 11)
        report(&state, "web@1", .failed, at: 1001)
        let failed = reconcile(state, at: 1002)
        #expect(failed.reverts.count == 1)
        state = applying(failed, to: state, revision: 12)   // the rollout record, but not the revert
        let again = reconcile(state, at: 1003)
        #expect(again.reverts.first?.record.version == 3 && again.reverts.first?.expectedRevision == 10)
    }

    @Test("a healthy_deadline counts until an instance was healthy for min_healthy_time; once counted, a later failure is not the rollout's")
    func deadlineUntilCounted() {
        var state = runningCluster(strategy: UpdateStrategy(maxParallel: 1, minHealthyTime: 10, healthyDeadline: 30))
        change(&state, revision: 10)
        state = applying(reconcile(state, at: 1000), to: state, revision: 11)
        report(&state, "web@1", .running, at: 1025)
        state = applying(reconcile(state, at: 1025), to: state, revision: 12)   // healthy since 1025
        #expect(rollout(reconcile(state, at: 1031))?.phase == .failed, "not healthy for 10 s within 30 s")
        var early = runningCluster(strategy: UpdateStrategy(maxParallel: 1, minHealthyTime: 10, healthyDeadline: 30))
        change(&early, revision: 10)
        early = applying(reconcile(early, at: 1000), to: early, revision: 11)
        report(&early, "web@1", .running, at: 1001)
        early = applying(reconcile(early, at: 1001), to: early, revision: 12)
        early = applying(reconcile(early, at: 1012), to: early, revision: 13)   // counted at 1012; web@2 replaced
        report(&early, "web@1", .failed, at: 1040)
        #expect(rollout(reconcile(early, at: 1041))?.phase == .running, "web@1 counted already")
    }

    @Test("a count change during a rollout keeps what it replaced: no second batch at once")
    func carryOver() throws {
        var state = runningCluster(strategy: UpdateStrategy(maxParallel: 1, minHealthyTime: 10))
        change(&state, revision: 10)
        state = applying(reconcile(state, at: 1000), to: state, revision: 11)   // web@1 in flight
        var record = state.stacks["web"]!.record
        record.spec.scale = .count(4)
        record.version = 3
        state.stacks["web"] = .init(record: record, revision: 20)
        let decision = reconcile(state, at: 1001)
        let replacedNow = decision.writes.compactMap { if case .assign(let a) = $0, a.instance != "web@4" { a } else { nil } }
            .filter { $0.units == record.spec.units && state.assignments[$0.instance]?.assignment.units != record.spec.units }
        #expect(replacedNow.isEmpty, "web@1 is still in flight: \(replacedNow.map(\.instance))")
        #expect(try #require(rollout(decision)).updated.keys.contains("web@1"))
    }

    @Test("auto_revert off: a rollout past its healthy_deadline fails and the rest keep the old units")
    func deadlineWithoutRevert() throws {
        var state = runningCluster(strategy: UpdateStrategy(maxParallel: 1, minHealthyTime: 5, healthyDeadline: 60, autoRevert: false))
        change(&state, revision: 10)
        state = applying(reconcile(state, at: 1000), to: state, revision: 11)
        report(&state, "web@1", .starting, at: 1001)
        #expect(rollout(reconcile(state, at: 1059))?.phase != .failed)
        let decision = reconcile(state, at: 1061)
        let record = try #require(rollout(decision))
        #expect(record.phase == .failed && record.revertedTo == nil)
        #expect(record.message?.contains("healthy_deadline of 60s") == true)
        #expect(decision.reverts.isEmpty)
        state = applying(decision, to: state, revision: 12)
        let later = reconcile(state, at: 2000)
        #expect(replaced(later).isEmpty, "a failed rollout replaces nothing more")
        #expect(state.assignments["web@2"]?.assignment.specRevision == 5)
    }

    @Test("a crash-looping replaced unit fails the rollout")
    func crashLoop() {
        var state = runningCluster(strategy: UpdateStrategy(minHealthyTime: 0))
        change(&state, revision: 10)
        state = applying(reconcile(state, at: 1000), to: state, revision: 11)
        report(&state, "web@1", .restarting, at: 1001, restarts: 3)
        #expect(rollout(reconcile(state, at: 1002))?.phase == .failed)
    }

    @Test("canaries: after `canary` healthy instances the rollout waits for promotion, then goes on")
    func canaries() throws {
        var state = runningCluster(strategy: UpdateStrategy(maxParallel: 2, minHealthyTime: 0, canary: 1))
        change(&state, revision: 10)
        var decision = reconcile(state, at: 1000)
        #expect(replaced(decision) == ["web@1"], "max_parallel is capped by the canary count")
        state = applying(decision, to: state, revision: 11)
        report(&state, "web@1", .running, at: 1001)
        decision = reconcile(state, at: 1002)
        #expect(replaced(decision).isEmpty)
        #expect(rollout(decision)?.phase == .awaitingPromotion)
        #expect(decision.events.contains { $0.kind == "rollout-paused" })
        state = applying(decision, to: state, revision: 12)
        #expect(replaced(reconcile(state, at: 1100)).isEmpty, "waits as long as it takes")
        state.promotions["web"] = 10
        decision = reconcile(state, at: 1101)
        #expect(replaced(decision) == ["web@2", "web@3"])
        #expect(rollout(decision)?.phase == .running)
    }

    @Test("new env_from values roll out even when the last rollout of the same spec revision succeeded")
    func sameRevisionRollsAgain() {
        var state = runningCluster(strategy: UpdateStrategy(minHealthyTime: 0))
        state.rollouts["web"] = RolloutRecord(stack: "web", specRevision: 5, version: 1, fromVersion: nil, startedAt: 0)
        state.rollouts["web"]!.phase = .succeeded
        var record = state.stacks["web"]!.record
        record.spec.units[0].environment = [EnvironmentVariable(name: "X", value: "1")]
        state.stacks["web"] = .init(record: record, revision: 5)   // the same revision, other units
        let decision = reconcile(state, at: 1000)
        #expect(replaced(decision) == ["web@1"])
        #expect(rollout(decision)?.phase == .running)
    }
}

@Suite("Rollouts: start before stop")
struct RolloutStartFirstTests {
    /// The assignments a decision writes, by instance.
    private func assigned(_ decision: Decision) -> [String: Assignment] {
        Dictionary(decision.writes.compactMap { if case .assign(let a) = $0 { (a.instance, a) } else { nil } }, uniquingKeysWith: { a, _ in a })
    }

    @Test("a replacement starts first where its machine has room for both copies; the flag never rewrites an assignment")
    func startsFirstWithRoom() {
        var state = runningCluster(strategy: UpdateStrategy(maxParallel: 3))
        change(&state, revision: 10)
        let decision = reconcile(state, at: 1000)
        let replacements = assigned(decision)
        #expect(replacements.count == 3 && replacements.values.allSatisfy { $0.startFirst == Overlap(upFor: 10, atMost: 300) },
                "the overlap is the stack's min_healthy_time and healthy_deadline")
        #expect(decision.events.contains { $0.message.contains("the new run starts before the old one stops") })
        state = applying(decision, to: state, revision: 11)
        for instance in ["web@1", "web@2", "web@3"] { report(&state, instance, .running, at: 1000) }
        let later = reconcile(state, at: 1100)
        #expect(assigned(later).isEmpty, "an assignment that started first is not rewritten to drop the flag")
    }

    @Test("no room for a second copy, an exclusive unit, a host port or a check on a port: stop first")
    func stopFirstOtherwise() {
        for variant in ["full", "exclusive", "port", "tcp check"] {
            var state = runningCluster(strategy: UpdateStrategy(maxParallel: 3))
            change(&state, revision: 10)
            var record = state.stacks["web"]!.record
            switch variant {
            case "full": state.machines = state.machines.map { var m = $0; m.capacity.memory = 100 << 20; return m }   // 64Mi used, 64Mi more needed
            case "exclusive": record.spec.units[0].exclusive = true
            case "port": record.spec.units[0].resources.ports = [8080]
            default: record.spec.units[0].health = .tcp(port: 8080, intervalSec: 1, timeoutSec: 1)
            }
            state.stacks["web"] = .init(record: record, revision: 10)
            let replacements = assigned(reconcile(state, at: 1000))
            #expect(!replacements.isEmpty && replacements.values.allSatisfy { $0.startFirst == nil }, "\(variant)")
        }
    }
}
