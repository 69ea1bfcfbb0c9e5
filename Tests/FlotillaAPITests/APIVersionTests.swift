import FlotillaAPI
import FlotillaModel
import FlotillaStore
import Foundation
import Testing

@Suite("API versions, rollback and promote")
struct APIVersionTests {
    /// `web` with `memory` and `keep_versions: 2`.
    private func file(memory: String, count: Int = 2) -> [SpecText] {
        [SpecText(path: "web.yaml", text: stackFile("web", count: count, memory: memory).replacingOccurrences(
            of: "    count: \(count)\n", with: "    count: \(count)\n    keep_versions: 2\n"))]
    }

    @Test("every change is a numbered version; the newest keep_versions are kept; history says what changed")
    func versionsKept() async throws {
        let store = InMemoryStore()
        try await withAPIServer(store: store) { client, _ in
            _ = try await client.apply(ApplyRequest(files: file(memory: "64Mi")))
            _ = try await client.apply(ApplyRequest(files: file(memory: "64Mi")))   // unchanged: no version
            _ = try await client.apply(ApplyRequest(files: file(memory: "128Mi")))
            _ = try await client.apply(ApplyRequest(files: file(memory: "128Mi", count: 3)))
            let history = try await client.history(stack: "web")
            #expect(history.versions.map(\.version) == [2, 3], "version 1 pruned by keep_versions: 2")
            #expect(history.versions.map(\.change) == ["unit main: resources", "count 2 → 3"])
            #expect(history.versions.map(\.current) == [false, true])
            let stack = try await client.status(stack: "web").stacks.first
            #expect(stack?.version == 3)
        }
    }

    @Test("rollback stores an earlier version again as the newest; errors name what is missing")
    func rollback() async throws {
        let store = InMemoryStore()
        try await withAPIServer(store: store) { client, _ in
            _ = try await client.apply(ApplyRequest(files: file(memory: "64Mi")))
            do {
                _ = try await client.rollback(stack: "web", to: nil)
                Issue.record("a stack with one version has nothing to roll back to")
            } catch {
                let (status, message, _) = rejection(error)
                #expect(status == 404 && message.contains("no earlier version that differs"), "\(message)")
            }
            _ = try await client.apply(ApplyRequest(files: file(memory: "128Mi")))
            let back = try await client.rollback(stack: "web", to: nil)
            #expect(back.written == ["web"])
            let history = try await client.history(stack: "web")
            #expect(history.versions.map(\.version) == [2, 3])
            #expect(history.versions.last?.origin == "rollback to 1")
            let kv = try #require(try await store.range(RangeRequest(key: Bytes(utf8: layout.stack("web")))).kvs.first)
            let record = try RecordCodec.decode(StackRecord.self, from: kv.value, key: "web")
            #expect(record.version == 3 && record.spec.units[0].resources.memory == 64 << 20)
            #expect(kv.modRevision == back.revision)
            let again = try await client.rollback(stack: "web", to: 3)
            #expect(again.unchanged == ["web"], "rolling back to the spec it has writes nothing")
            do {
                _ = try await client.rollback(stack: "web", to: 1)
                Issue.record("version 1 is no longer kept")
            } catch {
                let (status, message, _) = rejection(error)
                #expect(status == 404 && message.contains("has no version 1; the versions kept are 2, 3"), "\(message)")
            }
        }
    }

    @Test("promote refuses a stack without a rollout waiting, and records the promoted spec revision")
    func promote() async throws {
        let store = InMemoryStore()
        try await withAPIServer(store: store) { client, _ in
            _ = try await client.apply(ApplyRequest(files: file(memory: "64Mi")))
            do {
                _ = try await client.promote(stack: "web")
                Issue.record("nothing to promote")
            } catch {
                let (status, message, _) = rejection(error)
                #expect(status == 409 && message.contains("has no rollout in progress"), "\(message)")
            }
            let text = file(memory: "64Mi")[0].text.replacingOccurrences(of: "    keep_versions: 2\n", with: "    update: { canary: 1 }\n")
            let applied = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: text)]))
            var rollout = RolloutRecord(stack: "web", specRevision: applied.revision, version: 2, fromVersion: 1, startedAt: 0)
            rollout.phase = .awaitingPromotion
            _ = try await put(store, layout.rollout("web"), rollout)
            let promoted = try await client.promote(stack: "web")
            #expect(promoted.changed && promoted.specRevision == applied.revision && promoted.version == 2)
            let kv = try #require(try await store.range(RangeRequest(key: Bytes(utf8: layout.promotion("web")))).kvs.first)
            #expect(String(decoding: kv.value, as: UTF8.self) == String(applied.revision))
            #expect(try await client.promote(stack: "web").changed == false)
        }
    }
}
