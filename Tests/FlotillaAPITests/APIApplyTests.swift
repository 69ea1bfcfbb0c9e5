import FlotillaAPI
import FlotillaModel
import FlotillaStore
import Foundation
import Testing

@Suite("API apply and plan")
struct APIApplyTests {
    @Test("apply stores every stack of every file in one transaction, with the unit file text, as version 1, and writes nothing else")
    func applyOneTransaction() async throws {
        let store = InMemoryStore()
        try await register(store, [machine("m1"), machine("m2")])
        let unitText = "[Service]\nExecStart=/bin/sleep 1000\n"
        let files = [
            SpecText(path: "stacks/web.yaml", text: stackFile("web", count: 2) + "\n  db:\n    count: 1\n    units:\n      main: { exec: [/bin/true] }\n"),
            SpecText(path: "units/cache.service", text: unitText),
        ]
        try await withAPIServer(store: store) { client, _ in
            let before = try await revision(store)
            let answer = try await client.apply(ApplyRequest(files: files))
            #expect(answer.revision == before + 1)
            #expect(answer.stacks == ["web", "db", "cache.service"])
            let written = try await store.range(.prefix(Bytes(utf8: layout.prefix))).kvs.filter { $0.modRevision == answer.revision }
            #expect(written.count == 6, "three stacks and their first versions")
            for name in answer.stacks {
                let version = try #require(try await store.range(RangeRequest(key: Bytes(utf8: layout.version(1, of: name)))).kvs.first)
                #expect(version.modRevision == answer.revision)
                let stored = try RecordCodec.decode(StackVersion.self, from: version.value, key: name)
                #expect(stored.version == 1 && stored.origin == "apply" && stored.change == "created" && stored.record.version == 1)
                let kv = try #require(try await store.range(RangeRequest(key: Bytes(utf8: layout.stack(name)))).kvs.first)
                #expect(kv.modRevision == answer.revision)
                let record = try RecordCodec.decode(StackRecord.self, from: kv.value, key: name)
                #expect(record.desired == .launched)
                #expect(record.unitFileText == (name == "cache.service" ? unitText : nil))
                #expect(record.sources == [name == "cache.service" ? "units/cache.service" : "stacks/web.yaml"])
            }
        }
    }

    @Test("a stack that did not change is not written: the answer says unchanged and gives its stored spec revision")
    func unchangedNotWritten() async throws {
        let store = InMemoryStore()
        try await register(store, [machine("m1")])
        let both: @Sendable (Int) -> [SpecText] = { webCount in
            [SpecText(path: "s.yaml", text: stackFile("web", count: webCount) + "\n  db:\n    count: 1\n    units:\n      main: { exec: [/bin/true] }\n")]
        }
        try await withAPIServer(store: store) { client, _ in
            let first = try await client.apply(ApplyRequest(files: both(2)))
            #expect(first.unchanged.isEmpty)
            #expect(first.specRevisions == ["web": first.revision, "db": first.revision])

            let same = try await client.apply(ApplyRequest(files: both(2)))
            #expect(same.unchanged == ["web", "db"])
            #expect(same.written.isEmpty)
            #expect(same.specRevisions == ["web": first.revision, "db": first.revision])
            #expect(try await clusterRevision(store) == first.revision, "nothing was written (but the audit event)")

            let raised = try await client.apply(ApplyRequest(files: both(3)))
            #expect(raised.unchanged == ["db"])
            #expect(raised.written == ["web"])
            let changed = try await clusterRevision(store)
            #expect(raised.revision > first.revision && changed == raised.revision)
            #expect(raised.specRevisions == ["web": raised.revision, "db": first.revision])
            let db = try #require(try await store.range(RangeRequest(key: Bytes(utf8: layout.stack("db")))).kvs.first)
            #expect(db.modRevision == first.revision)

            let stopped = try await client.apply(ApplyRequest(files: both(3), desired: .loaded))
            #expect(stopped.unchanged.isEmpty, "a new desired state is a change")
        }
    }

    @Test("a bad file is rejected with FILE:LINE:COL diagnostics and nothing is written, not even the good files")
    func rejectsBadFile() async throws {
        let store = InMemoryStore()
        let files = [
            SpecText(path: "good.yaml", text: stackFile("good")),
            SpecText(path: "bad.yaml", text: "stacks:\n  web:\n    cuont: 3\n    units:\n      main: { exec: [/bin/true] }\n"),
        ]
        try await withAPIServer(store: store) { client, _ in
            let before = try await revision(store)
            do {
                _ = try await client.apply(ApplyRequest(files: files))
                Issue.record("apply accepted a bad file")
            } catch {
                let rejected = rejection(error)
                #expect(rejected.status == 400)
                #expect(rejected.message.contains("nothing was applied"))
                #expect(rejected.message.contains("bad.yaml:3:5"))
                let first = try #require(rejected.diagnostics.first)
                #expect(first.description.hasPrefix("bad.yaml:3:5: error: unknown key 'cuont'"))
                #expect(first.description.contains("did you mean 'count'?"))
            }
            #expect(try await clusterRevision(store) == before)
            #expect(try await store.range(.prefix(Bytes(utf8: layout.stacks))).kvs.isEmpty)
        }
    }

    @Test("more stacks than etcd allows in one transaction are refused in plain words, nothing written")
    func tooManyStacks() async throws {
        let store = InMemoryStore()
        var text = "stacks:\n"
        for index in 0..<130 { text += "  s\(index):\n    units:\n      main: { exec: [/bin/true] }\n" }
        let many = text
        try await withAPIServer(store: store) { client, _ in
            do {
                _ = try await client.apply(ApplyRequest(files: [SpecText(path: "many.yaml", text: many)]))
                Issue.record("apply of 130 stacks was accepted")
            } catch {
                let rejected = rejection(error)
                #expect(rejected.status == 400)
                #expect(rejected.message.contains("limit of 128 operations in one transaction"))
            }
            let stored = try await store.range(.prefix(Bytes(utf8: layout.stacks))).kvs
            #expect(stored.isEmpty)
        }
    }

    @Test("files a stack refers to travel with it: unit reuse and template instances compile on the server as on disk")
    func bundleCarriesReferencedFiles() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "[Service]\nExecStart=/usr/sbin/haproxy -f /etc/haproxy.cfg\n".write(toFile: directory + "/haproxy.service", atomically: true, encoding: .utf8)
        try "stacks:\n  lb:\n    units:\n      haproxy: { unit: ./haproxy.service }\n".write(toFile: directory + "/lb.yaml", atomically: true, encoding: .utf8)
        try "[Service]\nExecStart=/bin/echo %i\n".write(toFile: directory + "/echo@.service", atomically: true, encoding: .utf8)
        let bundle = SpecBundle.read(paths: [directory + "/lb.yaml", directory + "/echo@7.service"])
        #expect(!bundle.diagnostics.hasErrors)
        #expect(Set(bundle.files.map(\.path)) == [directory + "/lb.yaml", directory + "/haproxy.service", directory + "/echo@.service"])
        let store = InMemoryStore()
        try await withAPIServer(store: store) { client, _ in
            let answer = try await client.apply(bundle.applyRequest())
            #expect(answer.stacks == ["lb", "echo@7.service"])
            let echo = try await client.stack("echo@7.service")
            #expect(echo.record.spec.units.first?.execStart.first?.arguments == ["/bin/echo", "7"])
            #expect(echo.record.unitFileText == "[Service]\nExecStart=/bin/echo %i\n")
        }
    }

    @Test("plan shows where instances would go and why some cannot be placed, and writes nothing")
    func planShowsFailures() async throws {
        let store = InMemoryStore()
        try await register(store, [machine("m1", memory: 1 << 30), machine("m2", memory: 1 << 30)])
        try await withAPIServer(store: store) { client, _ in
            let before = try await revision(store)
            let plan = try await client.plan(PlanRequest(files: [SpecText(path: "big.yaml", text: stackFile("big", count: 3, memory: "768Mi"))]))
            #expect(plan.stacks == ["big"])
            #expect(plan.actions.filter { $0.action == "place" }.count == 2)
            let failure = try #require(plan.failures.first)
            #expect(plan.failures.count == 1)
            #expect(failure.message.hasPrefix("0/2 machines fit big@"))
            #expect(failure.message.contains("memory exhausted (needs 768Mi"))
            #expect(plan.machines.map(\.machine) == ["m1", "m2"])
            #expect(try await revision(store) == before)
        }
    }

    @Test("apply leaves the controller's decision records alone: an older one just reads as not decided yet")
    func applyKeepsDecisions() async throws {
        let store = InMemoryStore()
        try await register(store, [machine("m1")])
        try await put(store, layout.decision("web"), DecisionRecord(stack: "web", specRevision: 1, placed: ["web@1": "m1"]))
        try await withAPIServer(store: store) { client, _ in
            let applied = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 1))]))
            #expect(try await store.range(.prefix(Bytes(utf8: layout.decisions))).kvs.count == 1)
            let report = try await client.status(stack: "web")
            #expect(report.stacks.first?.awaitingController == true && report.stacks.first?.revision == applied.revision)
            #expect(Rollout(stacks: ["web"], revision: applied.revision).evaluate(report).undecided == ["web"])
        }
    }
}
