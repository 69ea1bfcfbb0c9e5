import FlotillaAPI
import FlotillaModel
import FlotillaSecurity
import FlotillaStore
import Foundation
import Testing

@Suite("API logs and stack changes")
struct APILogsStacksTests {
    @Test("logs of a unit on this machine: the last lines, then what follows from an offset")
    func localLogs() async throws {
        let journal = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: journal) }
        try FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: true)
        let file = journal + "/web@1+main.log"
        try "one\ntwo\nthree\n".write(toFile: file, atomically: true, encoding: .utf8)
        let store = InMemoryStore()
        try await register(store, [machine("m1")])
        try await withAPIServer(store: store, machineID: "m1", journal: journal) { client, _ in
            _ = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 1))]))
            try await assign(store, "web@1", stack: "web", to: "m1")
            let last = try await client.logs(instance: "web@1", unit: "main", last: 2)
            #expect(last.lines == ["two", "three"] && last.machine == "m1")
            let handle = try #require(FileHandle(forWritingAtPath: file))
            handle.seekToEndOfFile()
            handle.write(Data("four\nfi".utf8))
            try handle.close()
            let next = try await client.logs(instance: "web@1", unit: "main", offset: last.nextOffset)
            #expect(next.lines == ["four"])
            let none = try await client.logs(instance: "web@1", unit: "main", offset: next.nextOffset)
            #expect(none.lines.isEmpty && none.nextOffset == next.nextOffset)
            do {
                _ = try await client.logs(instance: "web@1", unit: "mian", last: 1)
                Issue.record("logs of an unknown unit answered")
            } catch {
                let rejected = rejection(error)
                #expect(rejected.status == 404 && rejected.message.contains("did you mean 'main'?"))
            }
        }
    }

    @Test("logs -f: a long-poll from an offset answers as soon as a line is appended (inotify), not at its timeout")
    func followWakesOnWrite() async throws {
        let journal = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: journal) }
        let file = journal + "/web@1+main.log"
        try "one\nt".write(toFile: file, atomically: true, encoding: .utf8)
        let store = InMemoryStore()
        try await register(store, [machine("m1")])
        try await withAPIServer(store: store, machineID: "m1", journal: journal) { client, _ in
            _ = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 1))]))
            try await assign(store, "web@1", stack: "web", to: "m1")
            let last = try await client.logs(instance: "web@1", unit: "main", last: 5)
            #expect(last.lines == ["one", "t"])
            let start = try await client.logs(instance: "web@1", unit: "main", offset: 0)
            #expect(start.lines == ["one"] && start.nextOffset == 4)
            let quiet = ContinuousClock.now
            let nothing = try await client.logs(instance: "web@1", unit: "main", offset: start.nextOffset, wait: 0.3)
            #expect(nothing.lines.isEmpty && ContinuousClock.now - quiet >= .milliseconds(250))
            async let followed = client.logs(instance: "web@1", unit: "main", offset: start.nextOffset, wait: 12)
            try await Task.sleep(for: .milliseconds(300))
            let handle = try #require(FileHandle(forWritingAtPath: file))
            handle.seekToEndOfFile()
            handle.write(Data("wo\n".utf8))
            try handle.close()
            let written = ContinuousClock.now
            let chunk = try await followed
            #expect(chunk.lines == ["two"] && chunk.nextOffset == 8)
            #expect(ContinuousClock.now - written < .seconds(3), "answered by the file-change wakeup, not at the 12 s timeout")
        }
    }

    @Test("the journal source reads across a rotation: the rest of the copy, then the new file; last lines reach into copies")
    func journalRotation() async throws {
        let journal = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: journal) }
        try FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: true)
        let file = journal + "/a@1+u.log"
        try "old 1\nold 2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let source = JournalLogSource(directory: journal)
        let start = try await source.lines(instance: "a@1", unit: "u", last: 1)
        #expect(start.lines == ["old 2"])
        // The unit writes more, then the agent rotates (copy to .1, truncate) and it writes again.
        try "old 1\nold 2\nold 3\n".write(toFile: file + ".1", atomically: true, encoding: .utf8)
        try "new 1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let next = try await source.read(instance: "a@1", unit: "u", from: start.nextOffset)
        #expect(next.lines == ["old 3", "new 1"])
        #expect(next.nextOffset == 6)
        let last = try await source.lines(instance: "a@1", unit: "u", last: 3)
        #expect(last.lines == ["old 2", "old 3", "new 1"])
        let missing = try await source.lines(instance: "a@1", unit: "nothing", last: 5)
        #expect(missing.lines.isEmpty && missing.nextOffset == 0)
    }

    @Test("logs of a unit on another machine are fetched from that machine's agent")
    func forwardedLogs() async throws {
        let remoteJournal = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: remoteJournal) }
        try FileManager.default.createDirectory(atPath: remoteJournal, withIntermediateDirectories: true)
        try "remote line\n".write(toFile: remoteJournal + "/web@1+main.log", atomically: true, encoding: .utf8)
        let store = InMemoryStore()
        // One cluster CA: m1 forwards with its client certificate, which m2 trusts.
        let ca = try ClusterCA.create()
        try await withAPIServer(store: store, machineID: "m2", journal: remoteJournal, ca: ca) { _, remotePort in
            try await register(store, [machine("m1"), machine("m2", apiURL: "https://127.0.0.1:\(remotePort)")])
            try await withAPIServer(store: store, machineID: "m1", ca: ca) { client, _ in
                _ = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 1))]))
                try await assign(store, "web@1", stack: "web", to: "m2")
                let chunk = try await client.logs(instance: "web@1", unit: "main", last: 10)
                #expect(chunk.lines == ["remote line"] && chunk.machine == "m2")
                _ = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.machine("m2"))))
                do {
                    _ = try await client.logs(instance: "web@1", unit: "main", last: 10)
                    Issue.record("logs of a down machine answered")
                } catch {
                    let rejected = rejection(error)
                    #expect(rejected.status == 503 && rejected.message.contains("machine m2, which runs web@1, is down"))
                }
            }
        }
    }

    @Test("stop, start, unload and destroy change the stack record; unknown stacks are a 404 with a hint")
    func stackChanges() async throws {
        let store = InMemoryStore()
        try await withAPIServer(store: store) { client, _ in
            let applied = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 1))]))
            let stopped = try await client.stop(stack: "web")
            #expect(stopped.previous == .launched && stopped.desired == .loaded && stopped.changed && stopped.revision > applied.revision)
            #expect(try await client.stack("web").record.desired == .loaded)
            let again = try await client.stop(stack: "web")
            #expect(!again.changed && again.revision == stopped.revision)
            let started = try await client.start(stack: "web")
            #expect(started.desired == .launched && started.changed)
            let unloaded = try await client.unload(stack: "web")
            #expect(unloaded.desired == .inactive)
            #expect(try await client.stack("web").record.desired == .inactive)
            let destroyed = try await client.destroy(stack: "web")
            #expect(destroyed.desired == nil && destroyed.previous == .inactive)
            #expect(try await store.range(.prefix(Bytes(utf8: layout.stacks))).kvs.isEmpty)
            do {
                _ = try await client.start(stack: "web")
                Issue.record("start of a destroyed stack answered")
            } catch {
                let rejected = rejection(error)
                #expect(rejected.status == 404 && rejected.message.contains("no stack named 'web'"))
            }
        }
    }
}
