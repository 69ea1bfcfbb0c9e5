import FlotillaAPI
import FlotillaModel
import FlotillaStore
import Foundation
import Testing

@Suite("API machines: down members and forget")
struct APIMachineMembersTests {
    @Test("a machine whose lease is gone stays listed as down, with when; forget removes it, but not while it holds assignments")
    func downAndForget() async throws {
        let store = InMemoryStore()
        try await register(store, [machine("m1")])
        var gone = machine("m2")
        gone.downSince = 1234
        _ = try await put(store, layout.member("m2"), gone)
        _ = try await put(store, layout.member("m1"), machine("m1"))
        let hostname = gone.hostname
        try await withAPIServer(store: store) { client, _ in
            let report = try await client.machines()
            #expect(report.machines.map(\.id) == ["m1", "m2"])
            #expect(report.machines.map(\.state) == ["alive", "down"])
            #expect(report.machines[1].downSince == 1234 && report.machines[1].record?.hostname == hostname)

            _ = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 1))]))
            _ = try await assign(store, "web@1", stack: "web", to: "m2")
            do {
                _ = try await client.forget(machine: "m2")
                Issue.record("m2 still holds an assignment")
            } catch {
                let (status, message, _) = rejection(error)
                #expect(status == 409 && message.contains("still holds 1 assignment"), "\(message)")
            }
            _ = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.assignment(machine: "m2", instance: "web@1"))))
            let forgotten = try await client.forget(machine: "m2")
            #expect(forgotten.machine == "m2")
            #expect(try await client.machines().machines.map(\.id) == ["m1"])
            do {
                _ = try await client.forget(machine: "m1")
                Issue.record("m1 is registered")
            } catch {
                let (status, message, _) = rejection(error)
                #expect(status == 409 && message.contains("is registered"), "\(message)")
            }
        }
    }
}
