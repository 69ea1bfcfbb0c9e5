import FlotillaController
import FlotillaModel
import Testing

@Suite("Storm guard")
struct StormGuardTests {
    private let settings = StormGuard.Settings(share: 0.5, ttl: 5)   // grace 15 s, one release per 5 s

    @Test("one machine of three dying is no storm: its instances move at once")
    func singleLoss() {
        var guardian = StormGuard(settings: settings)
        do { let started = guardian.observe(alive: ["m1", "m2"], dead: ["m3"], now: 100); #expect(!started) }
        #expect(guardian.held.isEmpty)
    }

    @Test("more than half lost within one TTL holds every dead machine for the grace, then releases one per TTL, longest-dead first")
    func stormHoldsThenReleases() {
        var guardian = StormGuard(settings: settings)
        do { let started = guardian.observe(alive: ["m1"], dead: ["m2", "m3"], now: 100); #expect(started) }
        #expect(guardian.held == ["m2", "m3"])
        do { let started = guardian.observe(alive: ["m1"], dead: ["m2", "m3", "m4"], now: 101); #expect(!started, "already a storm") }
        #expect(guardian.held == ["m2", "m3", "m4"], "a machine lost during the storm is held too")
        guardian.observe(alive: ["m1"], dead: ["m2", "m3", "m4"], now: 114.9)
        #expect(guardian.held.count == 3, "nothing moves within the grace")
        guardian.observe(alive: ["m1"], dead: ["m2", "m3", "m4"], now: 115)
        #expect(guardian.held == ["m3", "m4"], "m2 is released first (m2 and m3 were lost together; ties by ID)")
        guardian.observe(alive: ["m1"], dead: ["m3", "m4"], now: 117)
        #expect(guardian.held == ["m3", "m4"], "the next release waits a TTL")
        guardian.observe(alive: ["m1"], dead: ["m3", "m4"], now: 120)
        #expect(guardian.held == ["m4"])
    }

    @Test("machines that register again keep their instances; the storm ends when no dead machine holds any")
    func machinesComeBack() {
        var guardian = StormGuard(settings: settings)
        guardian.observe(alive: [], dead: ["m1", "m2", "m3"], now: 100)
        guardian.observe(alive: ["m1", "m2"], dead: ["m3"], now: 104)
        #expect(guardian.held == ["m3"])
        guardian.observe(alive: ["m1", "m2", "m3"], dead: [], now: 106)
        #expect(guardian.held.isEmpty && guardian.stormSince == nil)
        do { let started = guardian.observe(alive: ["m1", "m2"], dead: ["m3"], now: 200); #expect(!started, "a later single loss is no storm") }
        #expect(guardian.held.isEmpty)
    }

    @Test("machines that already came back after losing their lease, or whose lease runs out, count towards the storm")
    func lapsingCount() {
        var guardian = StormGuard(settings: settings)
        let started = guardian.observe(alive: ["m1", "m2"], dead: ["m3"], lapsing: ["m1", "m2"], now: 100)
        #expect(started)
        #expect(guardian.held == ["m3"], "the slowest machine keeps its instances while it comes back")
    }

    @Test("a machine whose instances already moved still counts: two of three lost one pass apart are a storm")
    func lossesOnePassApart() {
        var guardian = StormGuard(settings: settings)
        guardian.observe(alive: ["m1", "m2", "m3"], dead: [], now: 99)
        do { let started = guardian.observe(alive: ["m1", "m2"], dead: ["m3"], now: 100); #expect(!started) }
        #expect(guardian.held.isEmpty, "one of three is no storm: m3's instances move")
        guardian.observe(alive: ["m1", "m2"], dead: [], now: 100.5)
        do { let started = guardian.observe(alive: ["m1"], dead: ["m2"], now: 101); #expect(started, "m3's loss counts for a TTL") }
        #expect(guardian.held == ["m2"])
        guardian.observe(alive: ["m1", "m2", "m3"], dead: [], now: 103)
        do { let started = guardian.observe(alive: ["m1", "m2"], dead: ["m3"], now: 110); #expect(!started, "losses older than a TTL are forgotten") }
    }

    @Test("share 1 turns the guard off")
    func off() {
        var guardian = StormGuard(settings: StormGuard.Settings(share: 1, ttl: 5))
        do { let started = guardian.observe(alive: [], dead: ["m1", "m2", "m3"], now: 100); #expect(!started) }
        #expect(guardian.held.isEmpty)
    }

    @Test("instances on held machines stay assigned and count as placed; nothing moves, nothing is unplaced")
    func reconcilerKeepsHeld() {
        var state = ClusterState(machines: ["m1", "m2", "m3"].map { machineRecord($0) },
                                 stacks: ["web": .init(record: stackRecord("web", count: 3), revision: 5)], revision: 5)
        state = applying(Reconciler.reconcile(state, options: options), to: state, revision: 6)
        state.machines = [machineRecord("m1")]
        let held = Reconciler.reconcile(state, options: Reconciler.Options(leader: "m1", now: 1000, held: ["m2", "m3"]))
        #expect(held.writes.allSatisfy { if case .decide = $0 { true } else { false } }, "\(held.writes)")
        #expect(held.events.isEmpty && held.unplaced.isEmpty && held.held == 2)
        let moved = Reconciler.reconcile(state, options: Reconciler.Options(leader: "m1", now: 1000, held: ["m3"]))
        #expect(moved.held == 1)
        #expect(moved.writes.contains { if case .unassign(let machine, _) = $0 { machine == "m2" } else { false } })
    }

    @Test("a member whose machine is not registered is marked down once, with when; again only after it registered since")
    func membersMarkedDown() {
        var state = ClusterState(machines: [machineRecord("m1")], revision: 5)
        var gone = machineRecord("m2")
        gone.registeredAt = 500
        state.members = ["m1": machineRecord("m1"), "m2": gone]
        let decision = Reconciler.reconcile(state, options: Reconciler.Options(leader: "m1", now: 1000))
        let marked = decision.writes.compactMap { if case .member(let m) = $0 { m } else { nil } }
        #expect(marked.map(\.id) == ["m2"] && marked.first?.downSince == 1000)
        state = applying(decision, to: state, revision: 6)
        #expect(!Reconciler.reconcile(state, options: options).writes.contains { if case .member = $0 { true } else { false } })
        state.members["m2"]!.registeredAt = 1500   // it came back and went down again
        let again = Reconciler.reconcile(state, options: Reconciler.Options(leader: "m1", now: 2000))
        #expect(again.writes.contains { if case .member(let m) = $0 { m.downSince == 2000 } else { false } })
    }
}

