import FlotillaController
import FlotillaModel
import Testing

/// Applies a decision's writes to a state, as the store would.
func applying(_ decision: Decision, to state: ClusterState, revision: Int64) -> ClusterState {
    var next = state
    for write in decision.writes {
        switch write {
        case .assign(let a): next.assignments[a.instance] = .init(assignment: a, revision: revision)
        case .unassign(let machine, let instance):
            if next.assignments[instance]?.assignment.machine == machine { next.assignments[instance] = nil }
        case .decide(let record): next.decisions[record.stack] = record
        case .forget(let stack): next.decisions[stack] = nil; next.rollouts[stack] = nil
        case .rollout(let record): next.rollouts[record.stack] = record
        case .reschedule(let record): next.reschedules[record.instance] = record
        case .forgetReschedule(let instance): next.reschedules[instance] = nil
        case .member(let record): next.members[record.id] = record
        }
    }
    next.revision = revision
    return next
}

func machineRecord(_ id: String, memory: Int64 = 8 << 30) -> MachineRecord {
    MachineRecord(id: id, hostname: id, apiURL: "http://127.0.0.1:1", metadata: ["machine": id],
                  capacity: Resources(cpu: 2000, memory: memory), startedAt: 0, version: "test")
}

func stackRecord(_ name: String, count: Int, memory: Int64 = 64 << 20, spread: Spread? = .machine,
                 desired: DesiredState = .launched, exclusive: Bool = false) -> StackRecord {
    var unit = UnitSpec(name: "main")
    unit.execStart = [ExecCommand(arguments: ["/bin/sleep", "1000"])]
    unit.resources = Resources(cpu: 100, memory: memory)
    unit.exclusive = exclusive
    return StackRecord(spec: StackSpec(name: name, scale: .count(count), spread: spread, units: [unit]), desired: desired)
}

let options = Reconciler.Options(leader: "m1", now: 1000)

@Suite("Reconciler")
struct ReconcilerTests {
    @Test("a stack of count 3 with spread runs one instance per machine, and a second pass decides nothing")
    func spreadPlacement() {
        var state = ClusterState(machines: ["m1", "m2", "m3"].map { machineRecord($0) },
                                 stacks: ["web": .init(record: stackRecord("web", count: 3), revision: 5)], revision: 5)
        let decision = Reconciler.reconcile(state, options: options)
        let machines = decision.writes.compactMap { if case .assign(let a) = $0 { a.machine } else { nil } }
        #expect(Set(machines) == ["m1", "m2", "m3"])
        #expect(decision.events.filter { $0.kind == "placed" }.count == 3)
        state = applying(decision, to: state, revision: 6)
        #expect(state.assignments["web@1"]?.assignment.fencingToken == 6)
        #expect(state.assignments["web@1"]?.assignment.specRevision == 5)
        let again = Reconciler.reconcile(state, options: options)
        #expect(again.writes.isEmpty && again.events.isEmpty)
    }

    @Test("a stack's disconnect.stop_after goes into its assignments; changing it rewrites them in place, with no rollout")
    func disconnectInAssignments() {
        var record = stackRecord("web", count: 2)
        record.spec.disconnect = DisconnectPolicy(stopAfter: 30)
        var state = ClusterState(machines: ["m1", "m2"].map { machineRecord($0) },
                                 stacks: ["web": .init(record: record, revision: 5)], revision: 5)
        state = applying(Reconciler.reconcile(state, options: options), to: state, revision: 6)
        #expect(state.assignments.values.map(\.assignment.stopAfterDisconnect) == [30, 30])
        record.spec.disconnect = nil
        state.stacks["web"] = .init(record: record, revision: 7)
        let changed = Reconciler.reconcile(state, options: options)
        let rewritten = changed.writes.compactMap { if case .assign(let a) = $0 { a } else { nil } }
        #expect(rewritten.count == 2 && rewritten.allSatisfy { $0.stopAfterDisconnect == nil && $0.specRevision == 7 })
        #expect(changed.rolling.isEmpty && changed.events.isEmpty, "nothing restarts: the units are the same")
    }

    @Test("instances of a machine whose lease is gone move, removal before assignment")
    func machineLost() {
        var state = ClusterState(machines: ["m1", "m2", "m3"].map { machineRecord($0) },
                                 stacks: ["web": .init(record: stackRecord("web", count: 2), revision: 5)], revision: 5)
        state = applying(Reconciler.reconcile(state, options: options), to: state, revision: 6)
        let victim = state.assignments["web@1"]!.assignment.machine
        state.machines.removeAll { $0.id == victim }
        let decision = Reconciler.reconcile(state, options: options)
        guard case .unassign(let from, "web@1") = decision.writes.first else {
            Issue.record("first write should remove web@1 from \(victim): \(decision.writes)"); return
        }
        #expect(from == victim)
        let moved = decision.writes.compactMap { if case .assign(let a) = $0 { a } else { nil } }
        #expect(moved.count == 1 && moved[0].instance == "web@1" && moved[0].machine != victim)
        #expect(decision.events.contains { $0.kind == "moved" && $0.message.contains("is down") })
    }

    @Test("an unplaced instance is in the stack's decision record with its reasons, written once; placing it rewrites the record")
    func unplaced() throws {
        var state = ClusterState(machines: ["m1"].map { machineRecord($0, memory: 1 << 30) },
                                 stacks: ["db": .init(record: stackRecord("db", count: 1, memory: 4 << 30), revision: 3)], revision: 3)
        let decision = Reconciler.reconcile(state, options: options)
        #expect(decision.unplaced["db@1"]?.contains("memory exhausted (needs 4Gi") == true)
        let records = decision.writes.compactMap { if case .decide(let r) = $0 { r } else { nil } }
        let record = try #require(records.first)
        #expect(records.count == 1 && record.stack == "db" && record.specRevision == 3 && record.placed.isEmpty)
        let why = try #require(record.unplaced["db@1"])
        #expect(why.machinesTotal == 1 && why.since == 1000)
        #expect(why.reasons.count == 1 && why.reasons[0].machines == 1 && why.reasons[0].reason.contains("memory exhausted"))
        #expect(decision.events.contains { $0.kind == "unplaced" })
        state = applying(decision, to: state, revision: 4)
        let later = Reconciler.Options(leader: "m1", now: 2000)
        #expect(Reconciler.reconcile(state, options: later).writes.isEmpty)
        state.machines.append(machineRecord("big", memory: 16 << 30))
        let placed = Reconciler.reconcile(state, options: later)
        #expect(placed.writes.contains { if case .assign(let a) = $0 { a.machine == "big" } else { false } })
        #expect(placed.writes.last == .decide(DecisionRecord(stack: "db", specRevision: 3, placed: ["db@1": "big"])))
    }

    @Test("records follow the configured key layout: additions are ordered by the layout's keys")
    func configuredLayout() {
        let state = ClusterState(machines: ["m1", "m2"].map { machineRecord($0) },
                                 stacks: ["web": .init(record: stackRecord("web", count: 2), revision: 2)], revision: 2)
        let custom = Reconciler.Options(leader: "m1", now: 1000, layout: StoreLayout(prefix: "/other/"))
        let decision = Reconciler.reconcile(state, options: custom)
        let keys = decision.writes.map { $0.key(in: custom.layout) }
        #expect(keys.allSatisfy { $0.hasPrefix("/other/") })
        #expect(keys.last == "/other/decisions/web")
        #expect(Array(keys.dropLast()) == keys.dropLast().sorted())
    }

    @Test("desired state loaded keeps the placement and tells the agent to stop; removing the stack unassigns")
    func desiredStates() {
        var state = ClusterState(machines: ["m1"].map { machineRecord($0) },
                                 stacks: ["web": .init(record: stackRecord("web", count: 1), revision: 2)], revision: 2)
        state = applying(Reconciler.reconcile(state, options: options), to: state, revision: 3)
        state.stacks["web"] = .init(record: stackRecord("web", count: 1, desired: .loaded), revision: 4)
        let loaded = Reconciler.reconcile(state, options: options)
        #expect(loaded.writes.count == 2 && loaded.writes.last == .decide(DecisionRecord(stack: "web", specRevision: 4, placed: ["web@1": "m1"])))
        guard case .assign(let a) = loaded.writes.first else { Issue.record("expected an assignment update"); return }
        #expect(a.desired == .loaded && a.machine == "m1" && a.specRevision == 4)
        state = applying(loaded, to: state, revision: 5)
        state.stacks["web"] = nil
        let destroyed = Reconciler.reconcile(state, options: options)
        #expect(destroyed.writes == [.unassign(machine: "m1", instance: "web@1"), .forget(stack: "web")])
    }

    @Test("an exclusive instance whose machine died and fits nowhere is unassigned and reported")
    func exclusiveLostNowhereToGo() {
        var state = ClusterState(machines: ["m1"].map { machineRecord($0) },
                                 stacks: ["db": .init(record: stackRecord("db", count: 1, exclusive: true), revision: 2)], revision: 2)
        state = applying(Reconciler.reconcile(state, options: options), to: state, revision: 3)
        state.machines = []
        let decision = Reconciler.reconcile(state, options: options)
        #expect(decision.writes.first == .unassign(machine: "m1", instance: "db@1"))
        #expect(decision.unplaced["db@1"] != nil)
    }
}
