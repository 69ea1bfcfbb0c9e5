import FlotillaModel
import FlotillaStore
import Testing
@testable import FlotillaController

/// Reboot groups: recursive locks, idempotent unlocks, hold timeouts, and slots never
/// over-granted when machines race for them through the store.
@Suite("Reboot groups")
struct RebootGroupsTests {
    @Test("a slot is recursive for its holder, full for others, released idempotently, and taken back after the hold timeout")
    func pureOperations() {
        var group = RebootGroup(name: "default", slots: 1, holdTimeout: 60)
        #expect(group.lock(machine: "a", reason: "fleetlock pre-reboot", now: 100) == .granted(new: true))
        #expect(group.lock(machine: "a", reason: "again", now: 110) == .granted(new: false))
        #expect(group.lock(machine: "b", reason: "x", now: 120) == .full(holders: ["a"]))
        #expect(group.expire(now: 159) == [])
        #expect(group.expire(now: 160) == [RebootHolder(machine: "a", since: 100, reason: "fleetlock pre-reboot")])
        #expect(group.lock(machine: "b", reason: "x", now: 161) == .granted(new: true))
        let first = group.unlock(machine: "b"), second = group.unlock(machine: "b")
        #expect(first)
        #expect(!second, "releasing again changes nothing")
        #expect(group.free == 1)
    }

    @Test("machines racing for one slot through the store: exactly one gets it")
    func racingThroughTheStore() async throws {
        let groups = RebootGroups(store: InMemoryStore(), layout: StoreLayout())
        let outcomes = await withTaskGroup(of: RebootGroup.LockOutcome?.self) { tasks in
            for machine in ["a", "b", "c", "d", "e"] {
                tasks.addTask { try? await groups.update("workers") { $0.lock(machine: machine, reason: "test", now: 1) } }
            }
            var all: [RebootGroup.LockOutcome?] = []
            for await outcome in tasks { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == .granted(new: true) }.count == 1, "\(outcomes)")
        let stored = try await groups.read("workers").group
        #expect(stored.holders.count == 1 && stored.slots == 1)
        let holder = stored.holders[0].machine
        let released = try await groups.update("workers") { (group: inout RebootGroup) in group.unlock(machine: holder) }
        #expect(released)
        #expect(try await groups.read("workers").group.holders.isEmpty)
    }
}
