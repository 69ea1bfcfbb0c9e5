import FlotillaAPI
import FlotillaModel
import FlotillaStore
import FlotillaTesting
import Foundation
import Testing

@Suite("API status, machines, health, events")
struct APIStatusTests {
    @Test("status reports the controller's published decision: placed instances with unit states, unplaced ones with the controller's reason")
    func statusStates() async throws {
        let store = InMemoryStore()
        try await register(store, [machine("m1"), machine("m2")])
        try await withAPIServer(store: store) { client, _ in
            let applied = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 3))]))
            let undecided = try await client.status(stack: "web")
            #expect(undecided.stacks.first?.awaitingController == true && undecided.instances.isEmpty)
            let token = try await assign(store, "web@1", stack: "web", to: "m2")
            try await put(store, layout.status(instance: "web@1", unit: "main"),
                          unitStatus("web@1", "main", on: "m2", .running, token: token, restarts: 1))
            // A reason no scheduler run over this cluster would give (both machines have room):
            // status can only show it by reading the controller's record.
            let reason = "0/2 machines fit web@2: 2 reserved for the eclipse"
            try await put(store, layout.decision("web"), DecisionRecord(
                stack: "web", specRevision: applied.revision, placed: ["web@1": "m2", "web@3": "m1"],
                unplaced: ["web@2": UnplacedInstance(machinesTotal: 2, reasons: [.init(reason: "reserved for the eclipse", machines: 2)],
                                                     explanation: reason, since: 1)]))
            let report = try await client.status(stack: "web")
            #expect(report.stacks.map(\.name) == ["web"])
            #expect(report.stacks.first?.revision == applied.revision)
            #expect(report.stacks.first?.decidedRevision == applied.revision && report.stacks.first?.awaitingController == false)
            #expect(report.stacks.first?.expected == 3)
            #expect(report.instances.map(\.instance) == ["web@1", "web@2", "web@3"])
            let first = report.instances[0]
            #expect(first.placement == .placed && first.machine == "m2" && first.fencingToken == token)
            #expect(first.units.map(\.name) == ["main"])
            #expect(first.units.first?.status?.state == .running && first.units.first?.current == true)
            #expect(report.instances[1].placement == .unplaced)
            #expect(report.instances[1].unplaced?.reason == reason)
            #expect(report.instances[1].unplaced?.reasons == [.init(reason: "reserved for the eclipse", machines: 2)])
            #expect(report.instances[1].unplaced?.specRevision == applied.revision)
            #expect(report.instances[2].placement == .scheduling && report.instances[2].units.isEmpty)

            do {
                _ = try await client.status(stack: "wbe")
                Issue.record("status of an unknown stack answered")
            } catch {
                let rejected = rejection(error)
                #expect(rejected.status == 404)
                #expect(rejected.message.contains("no stack named 'wbe'; did you mean 'web'?"))
            }
        }
    }

    @Test("status?after=REVISION waits on a store watch and answers when the controller publishes, not before")
    func statusLongPoll() async throws {
        let store = InMemoryStore()
        try await register(store, [machine("m1")])
        try await withAPIServer(store: store) { client, _ in
            let applied = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 1))]))
            let first = try await client.status()
            let started = ContinuousClock.now
            let idle = try await client.status(after: first.revision, wait: 0.3)
            #expect(idle.revision == first.revision && ContinuousClock.now - started >= .milliseconds(250))
            async let waited = client.status(after: first.revision, wait: 10)
            try await Task.sleep(for: .milliseconds(200))
            let published = ContinuousClock.now
            try await put(store, layout.decision("web"), DecisionRecord(stack: "web", specRevision: applied.revision))
            let report = try await waited
            #expect(ContinuousClock.now - published < .seconds(5))
            #expect(report.revision > first.revision && report.stacks.first?.awaitingController == false)
        }
    }

    @Test("machines lists records, usage, assigned instances and machines that are down but still hold assignments")
    func machinesReport() async throws {
        let store = InMemoryStore()
        try await register(store, [machine("m1", metadata: ["disk": "ssd"])])
        try await put(store, layout.usage("m1"), MachineUsage(load1: 0.5, cpuBusy: 0.25, memoryUsed: 1 << 30, memoryTotal: 4 << 30,
                                                              diskUsed: 0, diskTotal: 0, unitsRunning: 1, at: 0))
        try await withAPIServer(store: store) { client, _ in
            _ = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 2))]))
            try await assign(store, "web@1", stack: "web", to: "m1")
            try await assign(store, "web@2", stack: "web", to: "gone")
            let report = try await client.machines()
            #expect(report.machines.map(\.id) == ["gone", "m1"])
            let alive = report.machines[1]
            #expect(alive.state == "alive" && alive.instances == 1 && alive.units == 1)
            #expect(alive.record?.metadata.has("disk", "ssd") == true)
            #expect(alive.usage?.load1 == 0.5)
            #expect(report.machines[0].state == "down" && report.machines[0].record == nil && report.machines[0].instances == 1)
        }
    }

    @Test("health names this machine and the leader: the candidate key with the lowest create revision")
    func healthLeader() async throws {
        let store = InMemoryStore()
        try await withAPIServer(store: store, machineID: "m7") { client, _ in
            var health = try await client.health()
            #expect(health.machine == "m7" && health.storeReachable && health.leader == nil)
            _ = try await store.put(PutRequest(key: Bytes(utf8: layout.leader + "/00ff"), value: Bytes(utf8: "m3")))
            _ = try await store.put(PutRequest(key: Bytes(utf8: layout.leader + "/0001"), value: Bytes(utf8: "m4")))
            health = try await client.health()
            #expect(health.leader == "m3")
        }
    }

    @Test("events come in key order, page with after and limit, and last gives the newest")
    func eventsOrder() async throws {
        let store = InMemoryStore()
        for (time, sequence) in [(30, 3), (10, 1), (20, 2)] as [(UInt64, UInt64)] {
            let key = layout.event(unixNanoseconds: time, sequence: sequence)
            try await put(store, key, EventRecord(at: Double(time), kind: "placed", message: "event \(time)", source: "m1"))
        }
        try await withAPIServer(store: store) { client, _ in
            let first = try await client.events(limit: 2)
            #expect(first.events.map(\.event.message) == ["event 10", "event 20"])
            #expect(first.more)
            let rest = try await client.events(after: first.events.last!.key, limit: 2)
            #expect(rest.events.map(\.event.message) == ["event 30"])
            #expect(!rest.more)
            let none = try await client.events(after: rest.events.last!.key)
            #expect(none.events.isEmpty)
            let newest = try await client.events(last: 2)
            #expect(newest.events.map(\.event.message) == ["event 20", "event 30"])
        }
    }

    @Test("a client that finds no agent says so and names --endpoint and FLOTILLA_ENDPOINT; the endpoint, CA and token come from the flag, the environment or the client config")
    func unreachable() async throws {
        let directory = NSTemporaryDirectory() + "flotilla-endpoint-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let credentials = try await TestCredentials.make(store: InMemoryStore(), directory: directory)
        let client = try credentials.client("127.0.0.1:1")
        do {
            _ = try await client.status()
            Issue.record("a request to port 1 succeeded")
        } catch let error as APIClientError {
            #expect(error.description.contains("cannot reach the Flotilla API at https://127.0.0.1:1"))
            #expect(error.description.contains("--endpoint"))
            #expect(error.description.contains("FLOTILLA_ENDPOINT"))
        }
        // The endpoint: the flag, else FLOTILLA_ENDPOINT, else the client config, else the local agent.
        let config = directory + "/config.yaml"
        try ClientConfig(endpoint: "https://c:3", ca: credentials.caFile, token: "t.ab").render().write(toFile: config, atomically: true, encoding: .utf8)
        let environment = [ClientConfig.pathVariable: config]
        #expect(try APIClient.configured(endpoint: nil, environment: environment.merging(["FLOTILLA_ENDPOINT": "https://h:1"]) { $1 }).endpoint.absoluteString == "https://h:1")
        #expect(try APIClient.configured(endpoint: "https://x:2", environment: environment).endpoint.absoluteString == "https://x:2")
        #expect(try APIClient.configured(endpoint: nil, environment: environment).endpoint.absoluteString == "https://c:3")
        #expect(try APIClient.configured(endpoint: nil, environment: environment).credentials.token == "t.ab")
        #expect(try APIClient.configured(endpoint: nil, environment: environment.merging([APIClient.tokenVariable: "o.cd"]) { $1 }).credentials.token == "o.cd")
        let bare = [ClientConfig.pathVariable: directory + "/none.yaml", "HOME": directory]
        #expect(throws: APIClientError.self) { try APIClient.configured(endpoint: nil, environment: bare) }
    }
}
