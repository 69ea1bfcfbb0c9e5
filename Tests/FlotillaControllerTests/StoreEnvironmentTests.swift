import FlotillaController
import FlotillaModel
import Testing

/// `env_from`, resolved by the controller into the assignments it writes.
@Suite("Reconciler: env_from")
struct StoreEnvironmentTests {
    private func stack(_ entries: [String]) -> StackRecord {
        var record = stackRecord("web", count: 2)
        record.spec.units[0].environmentFromStore = entries
        return record
    }

    private func state(_ entries: [String], values: [String: [String: String]]) -> ClusterState {
        ClusterState(machines: ["m1", "m2"].map { machineRecord($0) }, stacks: ["web": .init(record: stack(entries), revision: 5)],
                     storeValues: values, revision: 5)
    }

    @Test("a prefix gives every key under it, a key gives its last component; names are made valid; a later entry wins")
    func names() {
        #expect(StoreEnvironment.name(of: "/cfg/app/DB_URL", entry: "/cfg/app/") == "DB_URL")
        #expect(StoreEnvironment.name(of: "/cfg/app/db/url", entry: "/cfg/app/") == "db_url")
        #expect(StoreEnvironment.name(of: "/cfg/app/log-level", entry: "/cfg/app/") == "log_level")
        #expect(StoreEnvironment.name(of: "/cfg/shared/TOKEN", entry: "/cfg/shared/TOKEN") == "TOKEN")
        #expect(StoreEnvironment.name(of: "/cfg/app/9lives", entry: "/cfg/app/") == "_9lives")
        var unit = UnitSpec(name: "main")
        unit.environmentFromStore = ["/a/", "/b/X"]
        let resolved = StoreEnvironment.resolve(unit, values: ["/a/": ["/a/X": "1", "/a/Y": "2"], "/b/X": ["/b/X": "3"]])
        #expect(resolved.variables == ["X": "3", "Y": "2"])
        #expect(resolved.missing.isEmpty)
    }

    @Test("the values go into every assignment, verbatim; a second pass decides nothing")
    func resolvedIntoAssignments() {
        var current = state(["/cfg/app/"], values: ["/cfg/app/": ["/cfg/app/GREETING": "hello %n $HOME"]])
        let decision = Reconciler.reconcile(current, options: options)
        let assigned = decision.writes.compactMap { if case .assign(let a) = $0 { a } else { nil } }
        #expect(assigned.count == 2)
        for assignment in assigned { #expect(assignment.units[0].storeEnvironment == ["GREETING": "hello %n $HOME"]) }
        current = applying(decision, to: current, revision: 6)
        #expect(Reconciler.reconcile(current, options: options).writes.isEmpty)
    }

    @Test("a missing key leaves the instances unplaced, waiting for it, and writing it places them")
    func missingKeyWaits() {
        var current = state(["/cfg/app/", "/cfg/shared/TOKEN"], values: ["/cfg/app/": ["/cfg/app/A": "1"], "/cfg/shared/TOKEN": [:]])
        let decision = Reconciler.reconcile(current, options: options)
        #expect(decision.placements == 0)
        #expect(decision.unplaced["web@1"]?.contains("waiting for store key /cfg/shared/TOKEN (env_from)") == true)
        let record = decision.writes.compactMap { if case .decide(let r) = $0 { r } else { nil } }.first
        #expect(record?.unplaced.keys.sorted() == ["web@1", "web@2"])
        #expect(decision.events.filter { $0.kind == "unplaced" }.count == 2)
        current = applying(decision, to: current, revision: 6)
        #expect(Reconciler.reconcile(current, options: options).events.isEmpty, "the same wait is told once")

        current.storeValues["/cfg/shared/TOKEN"] = ["/cfg/shared/TOKEN": "t0k"]
        let placed = Reconciler.reconcile(current, options: options)
        #expect(placed.placements == 2)
    }

    @Test("a changed value rolls out to the assignments by the update strategy (one at a time by default); a deleted one keeps them as they are")
    func changedValue() {
        var current = state(["/cfg/app/"], values: ["/cfg/app/": ["/cfg/app/GREETING": "hello"]])
        current = applying(Reconciler.reconcile(current, options: options), to: current, revision: 6)
        current.storeValues["/cfg/app/"] = ["/cfg/app/GREETING": "bye"]
        let changed = Reconciler.reconcile(current, options: options)
        let rewritten = changed.writes.compactMap { if case .assign(let a) = $0 { a } else { nil } }
        #expect(rewritten.map(\.instance) == ["web@1"], "max_parallel 1: one instance first")
        #expect(rewritten.allSatisfy { $0.units[0].storeEnvironment == ["GREETING": "bye"] })
        #expect(changed.events.filter { $0.kind == "updated" }.count == 1)
        #expect(changed.events.contains { $0.kind == "rollout-started" })
        current = applying(changed, to: current, revision: 7)

        current.storeValues["/cfg/app/"] = [:]
        let gone = Reconciler.reconcile(current, options: options)
        #expect(gone.writes.filter { if case .assign = $0 { true } else { false } }.isEmpty)
        #expect(gone.unplaced.isEmpty, "running instances stay placed")
    }
}
