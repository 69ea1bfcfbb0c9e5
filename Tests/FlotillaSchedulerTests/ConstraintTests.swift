import FlotillaModel
import FlotillaScheduler
import Testing

@Suite struct ConstraintTests {
    @Test func countedStacksGetIndexedInstancesAndFleetUnitsKeepTheirName() {
        let plan = Build.plan(Build.machines(3), [Build.stack("web", count: 3), Build.stack("db.service", count: 1, naming: .single)])
        #expect(Set(plan.placements.keys) == ["web@1", "web@2", "web@3", "db.service"])
        #expect(plan.kinds.place == 4)
        #expect(plan.failures.isEmpty)
    }

    @Test func deadMachinesTakeNothing() {
        let machines = [Build.machine("a", alive: false), Build.machine("b")]
        let plan = Build.plan(machines, [Build.stack("web", count: 4)])
        #expect(plan.placements.values.allSatisfy { $0 == "b" })
    }

    @Test func machineIDMatchesFullAndShortID() {
        let machines = [Build.machine("0123456789abcdef"), Build.machine("fedcba9876543210")]
        let full = Build.plan(machines, [Build.stack("a", placement: PlacementRules(machineID: "fedcba9876543210"))])
        #expect(full.placements["a@1"] == "fedcba9876543210")
        let short = Build.plan(machines, [Build.stack("a", placement: PlacementRules(machineID: "01234567"))])
        #expect(short.placements["a@1"] == "0123456789abcdef")
        let none = Build.plan(machines, [Build.stack("a", placement: PlacementRules(machineID: "0123"))])
        #expect(none.failure("a@1")?.description == "0/2 machines fit a@1: 2 not machine 0123")
    }

    @Test func overlayStacksGoOnlyToMachinesOnTheOverlay() {
        let machines = [Build.machine("a"), Build.machine("b", ["flotilla.overlay": "true"])]
        var web = Build.stack("web", count: 2)
        web.network = .overlay
        let plan = Build.plan(machines, [web, Build.stack("db", count: 2, spread: .machine)])
        #expect(plan.placements["web@1"] == "b")
        #expect(plan.placements["web@2"] == "b")
        #expect(Set([plan.placements["db@1"], plan.placements["db@2"]]) == ["a", "b"], "network: host goes anywhere")
        let lone = Build.plan([Build.machine("a")], [web])
        #expect(lone.failure("web@1")?.description == "0/1 machines fit web@1: 1 metadata flotilla.overlay=true not matched")
    }

    @Test func metadataSameKeyIsOrDifferentKeysAreAnd() {
        let machines = [
            Build.machine("a", ["region": "eu", "disk": "ssd"]), Build.machine("b", ["region": "us", "disk": "ssd"]),
            Build.machine("c", ["region": "eu", "disk": "hdd"]), Build.machine("d", ["disk": "ssd"]),
        ]
        let rules = PlacementRules(metadata: ["region": ["eu", "us"], "disk": ["ssd"]])
        let plan = Build.plan(machines, [Build.stack("x", count: 2, spread: .machine, placement: rules)])
        #expect(Set(plan.placements.values) == ["a", "b"])
        let third = Build.plan(machines, [Build.stack("x", count: 3, spread: .machine, placement: rules)])
        #expect(third.failure("x@3")?.description
                == "0/4 machines fit x@3: 2 already run x (spread: machine), 2 metadata disk=ssd region=eu|us not matched")
    }

    @Test func machineOfFollowsTheTargetWithPercentI() {
        let machines = Build.machines(5)
        let plan = Build.plan(machines, [
            Build.stack("app", count: 3, placement: PlacementRules(machineOf: ["db@%i"])),
            Build.stack("db", count: 3, placement: PlacementRules(conflicts: [Glob("db@*")])),
        ])
        #expect(plan.failures.isEmpty)
        for i in 1...3 { #expect(plan.placements["app@\(i)"] == plan.placements["db@\(i)"]) }
    }

    @Test func machineOfWithoutTargetFailsAndMutualNeverSchedules() {
        let lonely = Build.plan(Build.machines(2), [Build.stack("app", placement: PlacementRules(machineOf: ["db@1"]))])
        #expect(lonely.failure("app@1")?.description == "0/2 machines fit app@1: 2 not the machine of db@1")
        let mutual = Build.plan(Build.machines(2), [
            Build.stack("a", placement: PlacementRules(machineOf: ["b@1"])),
            Build.stack("b", placement: PlacementRules(machineOf: ["a@1"])),
        ])
        #expect(mutual.placements.isEmpty)
        #expect(mutual.failures.count == 2)
    }

    @Test func conflictsAreSymmetricAndMatchStackNames() {
        // Only "b" carries the glob; "a" is placed first and "b" must still avoid it.
        let machines = Build.machines(2)
        let plan = Build.plan(machines, [Build.stack("a"), Build.stack("b", placement: PlacementRules(conflicts: [Glob("a")]))])
        #expect(plan.placements["a@1"] != plan.placements["b@1"])
        // The glob on "a" names b's instances; "b" comes later and must avoid "a".
        let reverse = Build.plan(machines, [Build.stack("a", placement: PlacementRules(conflicts: [Glob("b@?")])), Build.stack("b")])
        #expect(reverse.placements["a@1"] != reverse.placements["b@1"])
        let full = Build.plan([Build.machine("only")], [Build.stack("a"), Build.stack("b", placement: PlacementRules(conflicts: [Glob("a*")]))])
        #expect(full.failure("b@1")?.description == "0/1 machines fit b@1: 1 conflict with a*")
    }

    @Test func partialConflictGlobsMatchInstanceNames() {
        // Conflicts only with web@1 and web@2: the one free machine is web@3's.
        let machines = Build.machines(3)
        let plan = Build.plan(machines, [
            Build.stack("web", count: 3, spread: .machine),
            Build.stack("zz", count: 1, placement: PlacementRules(conflicts: [Glob("web@[12]")])),
        ])
        let zz = plan.placements["zz@1"]
        #expect(zz != nil)
        #expect(zz == plan.placements["web@3"])
    }

    @Test func anInstanceNeverConflictsWithItself() {
        let plan = Build.plan(Build.machines(1), [Build.stack("web.service", placement: PlacementRules(conflicts: [Glob("web*")]),
                                                               naming: .single)])
        #expect(plan.placements["web.service"] == "m01")
    }

    @Test func spreadMachinePutsOnePerMachine() {
        let plan = Build.plan(Build.machines(4), [Build.stack("web", count: 5, spread: .machine)])
        #expect(Set(plan.placements.values).count == 4)
        #expect(plan.failure("web@5")?.description == "0/4 machines fit web@5: 4 already run web (spread: machine)")
    }

    @Test func spreadMetadataBalancesZones() {
        let machines = (1...9).map { Build.machine("m\($0)", ["zone": ["a", "b", "c"][$0 % 3]]) }
        let zoneOf = Dictionary(uniqueKeysWithValues: machines.map { ($0.machine.id, $0.machine.metadata["zone"][0]) })
        let plan = Build.plan(machines, [Build.stack("web", count: 6, cpu: 100, spread: .metadata(key: "zone"))])
        var perZone: [String: Int] = [:]
        for machine in plan.placements.values { perZone[zoneOf[machine]!, default: 0] += 1 }
        #expect(perZone == ["a": 2, "b": 2, "c": 2])
    }

    @Test func portsTakenByOutsideSoftwareOrInstancesAreAvoided() {
        let machines = [Build.machine("a", ports: [80]), Build.machine("b"), Build.machine("c")]
        let plan = Build.plan(machines, [Build.stack("web", count: 3, ports: [80])])
        #expect(Set(plan.placements.values) == ["b", "c"])
        #expect(plan.failure("web@3")?.description == "0/3 machines fit web@3: 3 port 80 taken")
    }

    @Test func resourcesAreNeverOvercommitted() {
        let machines = [Build.machine("a", cpu: 1000, memory: 1 << 30, reserved: Resources(cpu: 200)),
                        Build.machine("b", cpu: 1000, memory: 1 << 30)]
        let plan = Build.plan(machines, [Build.stack("w", count: 5, cpu: 400)])
        #expect(plan.placements.count == 4)
        #expect(plan.failure("w@5")?.description == "0/2 machines fit w@5: 2 cpu exhausted (needs 400m, most free 200m)")
        let disk = Build.plan([Build.machine("a", disk: 1 << 30)], [Build.stack("d", disk: 2 << 30)])
        #expect(disk.failure("d@1")?.description == "0/1 machines fit d@1: 1 disk exhausted (needs 2Gi, most free 1Gi)")
    }

    @Test func binpackPrefersTheFullestAndSpreadTheEmptiest() {
        let machines = [Build.machine("a"), Build.machine("b")]
        let stacks = [Build.stack("big", cpu: 2000, memory: 4 << 30), Build.stack("small", cpu: 100, memory: 1 << 20)]
        for seed: UInt64 in 0..<8 {
            let packed = Build.plan(machines, stacks, strategy: .binpack, seed: seed)
            #expect(packed.placements["small@1"] == packed.placements["big@1"])
            let spread = Build.plan(machines, stacks, strategy: .spread, seed: seed)
            #expect(spread.placements["small@1"] != spread.placements["big@1"])
        }
    }

    @Test func replacesKeepsNewPlacementsApart() {
        let plan = Build.plan(Build.machines(2), [Build.stack("new", placement: PlacementRules(replaces: [Glob("old@*")])),
                                                  Build.stack("old")])
        #expect(plan.placements["new@1"] != plan.placements["old@1"])
        // A running pair is not moved by Replaces.
        let kept = Build.plan(Build.machines(2), [Build.stack("new", placement: PlacementRules(replaces: [Glob("old@*")])), Build.stack("old")],
                              assignments: ["new@1": "m01", "old@1": "m01"])
        #expect(kept.kinds.keep == 2)
    }
}
