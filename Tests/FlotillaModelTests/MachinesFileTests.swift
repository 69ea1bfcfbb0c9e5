import Testing
@testable import FlotillaModel

@Suite("MachinesFile")
struct MachinesFileTests {
    func messages(_ yaml: String) -> [String] {
        MachinesFile.parse(text: yaml, file: "m.yaml").diagnostics.map(\.description)
    }

    @Test func exampleClusterExpandsCounts() throws {
        let loaded = MachinesFile.load(path: examplesDirectory() + "/machines.yaml")
        #expect(loaded.diagnostics.map(\.description) == [])
        #expect(loaded.machines.map(\.machine.id) == ["db-1", "db-2", "db-3", "db-4", "db-5", "db-6", "edge-1", "edge-2"])
        let db3 = loaded.machines[2]
        #expect(db3.machine.capacity == Resources(cpu: 4000, memory: 8 << 30, disk: 200 << 30, ports: [22]))
        #expect(db3.reserved == Resources(cpu: 500, memory: 1 << 30))
        #expect(db3.machine.metadata == Metadata(["region": ["eu"], "zone": ["a"], "disk": ["ssd"]]))
        #expect(db3.alive)
        #expect(db3.running == [])
        let edge2 = try #require(loaded.machines.first { $0.machine.id == "edge-2" })
        #expect(edge2.machine.metadata["role"] == ["edge"])
        #expect(edge2.running == ["lb@2"])
        #expect(edge2.reserved.memory == 512 << 20)
    }

    @Test func downMachinesAndMultiValuedMetadata() throws {
        let parsed = MachinesFile.parse(text: """
        machines:
          - id: m1
            metadata: { disk: [ssd, nvme] }
            capacity: { cpu: 1.5, memory: 2G }
            down: true
        """, file: "m.yaml")
        #expect(parsed.diagnostics.isEmpty)
        let m1 = try #require(parsed.machines.first)
        #expect(m1.alive == false)
        #expect(m1.machine.metadata["disk"] == ["ssd", "nvme"])
        #expect(m1.machine.capacity == Resources(cpu: 1500, memory: 2_000_000_000))
        #expect(m1.reserved == .zero)
    }

    @Test func validationErrors() {
        let yaml = """
        machines:
          - id: m1
            capcity: { cpu: 1 }
          - id: m
            count: 2
            capacity: { cpu: -1, memory: 1Gi }
            running: [a@1]
          - id: m-2
            capacity: { cpu: 1 }
          - id: x
            capacity: { cpu: 1 }
            running: [lamp@1, "bad name"]
          - id: y
            capacity: { cpu: 1 }
            running: [lamp@1]
            down: maybe
          - capacity: { cpu: 1 }
          - id: z
            count: 0
            capacity: { cpu: 1 }
        """
        #expect(messages(yaml) == [
            "m.yaml:3:5: error: unknown key 'capcity' in machine; did you mean 'capacity'?",
            "m.yaml:2:5: error: machine 'm1' needs 'capacity' (cpu, memory, disk)",
            "m.yaml:6:22: error: cpu: invalid cpu quantity '-1'; use millicores like '500m' or cores like '2'",
            "m.yaml:7:5: error: 'running' cannot be used with 'count'; describe machines that run instances one by one",
            "m.yaml:12:23: error: invalid instance name 'bad name'; use names like 'lamp@1'",
            "m.yaml:16:11: error: expected true or false for 'down', found 'maybe'",
            "m.yaml:17:5: error: machine entry needs 'id'",
            "m.yaml:19:12: error: count must be 1 or more, found 0",
        ])
        #expect(MachinesFile.parse(text: yaml, file: "m.yaml").machines.isEmpty)
    }

    @Test func duplicateIdsAndInstances() {
        let yaml = """
        machines:
          - { id: web, count: 2, capacity: { cpu: 1 } }
          - { id: web-2, capacity: { cpu: 1 }, running: [lb@1] }
          - { id: db, capacity: { cpu: 1 }, running: [lb@1] }
          - { id: db, capacity: { cpu: 1 } }
        """
        #expect(messages(yaml) == [
            "m.yaml:3:11: error: machine id 'web-2' is already used at line 2",
            "m.yaml:4:47: error: instance 'lb@1' is already running on machine 'web-2'",
            "m.yaml:5:11: error: machine id 'db' is already used at line 4",
        ])
    }

    @Test func topLevelShape() {
        #expect(messages("machine: []\n") == [
            "m.yaml:1:1: error: unknown key 'machine' at the top level; did you mean 'machines'?",
            "m.yaml:1:1: error: missing 'machines'; a machines file starts with 'machines:' followed by a list of machines",
        ])
        #expect(messages("machines: { m1: {} }\n") == [
            "m.yaml:1:11: error: expected a list of machines for 'machines', found a mapping",
        ])
        #expect(messages("machines:\n  - id: a\n    capacity: { cpu: 1, gpu: 2 }\n") == [
            "m.yaml:3:25: error: unknown key 'gpu' in capacity of machine 'a'; did you mean 'cpu'?",
        ])
        let missing = MachinesFile.load(path: "/nonexistent/machines.yaml")
        #expect(missing.machines.isEmpty)
        #expect(missing.diagnostics.map(\.description) == ["/nonexistent/machines.yaml:1:1: error: cannot read file: no such file"])
    }
}
