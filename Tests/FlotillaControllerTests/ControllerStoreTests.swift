import FlotillaController
import FlotillaModel
import FlotillaStore
import Foundation
import Testing

private let layout = StoreLayout()

private func register(_ store: InMemoryStore, _ id: String, ttl: Int64 = 60) async throws -> Int64 {
    let lease = try await store.leaseGrant(ttl: ttl, id: 0).id
    _ = try await store.put(PutRequest(key: Bytes(utf8: layout.machine(id)), value: RecordCodec.encode(machineRecord(id)), lease: lease))
    return lease
}

private func assignments(_ store: InMemoryStore) async throws -> [String: String] {
    let kvs = try await store.range(.prefix(Bytes(utf8: layout.assignments))).kvs
    var result: [String: String] = [:]
    for kv in kvs {
        let a = try RecordCodec.decode(Assignment.self, from: kv.value, key: kv.key.utf8String)
        result[a.instance] = a.machine
    }
    return result
}

/// Polls `condition` every 50 ms until it holds or `seconds` pass.
private func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

@Suite("Controller against a store")
struct ControllerStoreTests {
    @Test("the elected controller places a stack, and moves an instance when its machine's lease is revoked")
    func placesAndMoves() async throws {
        let store = InMemoryStore()
        var leases: [String: Int64] = [:]
        for id in ["m1", "m2", "m3"] { leases[id] = try await register(store, id) }
        _ = try await store.put(PutRequest(key: Bytes(utf8: layout.stack("web")),
                                           value: RecordCodec.encode(stackRecord("web", count: 2))))
        let controller = Controller(store: store, layout: layout, machineID: "m1",
                                    settings: .init(debounce: .milliseconds(5), resync: .milliseconds(500)))
        let task = Task { try await controller.run() }
        defer { task.cancel() }
        #expect(try await eventually(10) { try await assignments(store).count == 2 })
        let before = try await assignments(store)
        let victim = before["web@1"]!
        _ = try await store.leaseRevoke(id: leases[victim]!)
        #expect(try await eventually(10) {
            let now = try await assignments(store)
            return now.count == 2 && now["web@1"] != victim && Set(now.values).count == 2
        })
        let events = try await store.range(.prefix(Bytes(utf8: layout.events))).kvs
            .map { try RecordCodec.decode(EventRecord.self, from: $0.value, key: $0.key.utf8String) }
        #expect(events.contains { $0.kind == "moved" && $0.instance == "web@1" && $0.message.contains("down") })
        task.cancel()
        try? await task.value
    }

    @Test("the leader publishes each stack's decision in the transaction that writes its assignments: placed, unplaced and why")
    func decisionRecord() async throws {
        let store = InMemoryStore()
        for id in ["m1", "m2"] { _ = try await register(store, id) }
        _ = try await store.put(PutRequest(key: Bytes(utf8: layout.stack("web")),
                                           value: RecordCodec.encode(stackRecord("web", count: 3))))
        let specRevision = try await store.range(RangeRequest(key: Bytes(utf8: layout.stack("web")))).kvs[0].modRevision
        let controller = Controller(store: store, layout: layout, machineID: "m1",
                                    settings: .init(debounce: .milliseconds(5), resync: .milliseconds(200)))
        let task = Task { try await controller.run() }
        defer { task.cancel() }
        let key = Bytes(utf8: layout.decision("web"))
        #expect(try await eventually(10) { try await !store.range(RangeRequest(key: key)).kvs.isEmpty })
        let kv = try #require(try await store.range(RangeRequest(key: key)).kvs.first)
        let record = try RecordCodec.decode(DecisionRecord.self, from: kv.value, key: layout.decision("web"))
        #expect(record.specRevision == specRevision)
        #expect(record.wanted == ["web@1", "web@2", "web@3"])
        #expect(record.placed.count == 2 && Set(record.placed.values) == ["m1", "m2"])
        let (name, why) = try #require(record.unplaced.first)
        #expect(record.unplaced.count == 1 && record.placed[name] == nil)
        #expect(why.machinesTotal == 2 && why.reasons.map(\.machines) == [2] && why.reasons[0].reason.contains("web"))
        #expect(why.explanation.hasPrefix("0/2 machines fit \(name)"))
        // Same transaction: the record and every assignment it lists carry one mod revision.
        let assigned = try await store.range(.prefix(Bytes(utf8: layout.assignments))).kvs
        #expect(assigned.count == 2 && assigned.allSatisfy { $0.modRevision == kv.modRevision })
        // Stored with sorted keys and a schema version, like every record.
        #expect(kv.value.utf8String.hasPrefix(#"{"placed":{"#) && kv.value.utf8String.contains(#""schema":1"#))
        // Passes that decide the same do not rewrite it; destroying the stack deletes it.
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await store.range(RangeRequest(key: key)).kvs.first?.modRevision == kv.modRevision)
        _ = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.stack("web"))))
        #expect(try await eventually(10) { try await store.range(RangeRequest(key: key)).kvs.isEmpty })
        #expect(try await assignments(store).isEmpty)
        task.cancel()
        try? await task.value
    }

    @Test("a deposed leader cannot write")
    func deposedLeader() async throws {
        let store = InMemoryStore()
        let key = Bytes(utf8: layout.leader + "/1")
        let created = try await store.put(PutRequest(key: key, value: Bytes(utf8: "m1"))).header.revision
        let leader = LeaderGuard(key: key, createRevision: created)
        _ = try await store.deleteRange(DeleteRangeRequest(key: key))
        _ = try await store.put(PutRequest(key: key, value: Bytes(utf8: "m1")))
        let write = ControllerWrite.assign(Assignment(instance: "web@1", stack: "web", machine: "m2", units: [],
                                                      specRevision: 1, fencingToken: 0))
        let outcome = try await PlanCommit(store: store, layout: layout).commit(Decision(writes: [write]), leader: leader)
        #expect(outcome == .lostLeadership)
        #expect(try await assignments(store).isEmpty)
    }

    @Test("a large decision commits every removal, then every assignment, then the decision record")
    func largeDecisionPhases() async throws {
        let store = InMemoryStore()
        let key = Bytes(utf8: layout.leader + "/1")
        let created = try await store.put(PutRequest(key: key, value: Bytes(utf8: "m1"))).header.revision
        let leader = LeaderGuard(key: key, createRevision: created)
        let moved = (1...150).map { "web@\($0)" }
        for instance in moved {
            let old = Assignment(instance: instance, stack: "web", machine: "m1", units: [], specRevision: 1, fencingToken: 0)
            _ = try await store.put(PutRequest(key: Bytes(utf8: layout.assignment(machine: "m1", instance: instance)),
                                               value: RecordCodec.encode(old)))
        }
        let before = try await store.range(RangeRequest(key: key)).header.revision
        let added = moved + (151...400).map { "web@\($0)" }
        let writes: [ControllerWrite] = moved.map { .unassign(machine: "m1", instance: $0) }
            + added.map { .assign(Assignment(instance: $0, stack: "web", machine: "m2", units: [], specRevision: 1, fencingToken: 0)) }
            + [.decide(DecisionRecord(stack: "web", specRevision: 1, placed: Dictionary(uniqueKeysWithValues: added.map { ($0, "m2") })))]
        #expect(try await PlanCommit(store: store, layout: layout).commit(Decision(writes: writes), leader: leader) == .committed)
        #expect(try await assignments(store) == Dictionary(uniqueKeysWithValues: added.map { ($0, "m2") }))

        let watch = try await store.watch(WatchCreateRequest(key: Bytes(utf8: "/"), rangeEnd: KeyRange.allFromKey, startRevision: before + 1))
        defer { watch.cancel() }
        var removals: [Int64] = [], assigned: [Int64] = [], recorded: [Int64] = []
        for try await response in watch {
            for event in response.events {
                let name = event.kv.key.utf8String
                if event.type == .delete { removals.append(event.kv.modRevision) }
                else if name.hasPrefix(layout.decisions) { recorded.append(event.kv.modRevision) }
                else if name.hasPrefix(layout.assignments) { assigned.append(event.kv.modRevision) }
            }
            if recorded.count == 1 && assigned.count == added.count && removals.count == moved.count { break }
        }
        #expect(removals.max()! < assigned.min()!)
        #expect(assigned.max()! < recorded[0])
    }

    @Test("a machine that registers again before the move commits keeps its instance")
    func machineBack() async throws {
        let store = InMemoryStore()
        let key = Bytes(utf8: layout.leader + "/1")
        let created = try await store.put(PutRequest(key: key, value: Bytes(utf8: "m1"))).header.revision
        _ = try await register(store, "m2")
        let decision = Decision(writes: [.unassign(machine: "m2", instance: "web@1")], deadMachines: ["m2"])
        let outcome = try await PlanCommit(store: store, layout: layout)
            .commit(decision, leader: LeaderGuard(key: key, createRevision: created))
        #expect(outcome == .conflict)
    }
}
