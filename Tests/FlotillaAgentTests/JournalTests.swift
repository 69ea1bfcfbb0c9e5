@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Glibc
import Testing

@Suite("Unit journals", .serialized)
struct JournalTests {
    @Test("stdout and stderr of a unit land in its journal, with the agent's own lines")
    func capturesOutput() async throws {
        try await withExecSupervisor { supervisor, scratch in
            var spec = UnitSpec(name: "talk")
            spec.type = .oneshot
            spec.execStart = [ExecCommand(arguments: ["/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2"])]
            await supervisor.apply([assignment(units: [spec])])
            #expect(await eventually { await supervisor.status(instance: "app@1", unit: "talk")?.state == .exited })
            let lines = supervisor.journalReader(instance: "app@1", unit: "talk").lastLines(100)
            #expect(lines.filter { !$0.hasPrefix("[flotilla") } == ["to-stdout", "to-stderr"])
            #expect(lines.contains { $0.hasPrefix("[flotilla ") && $0.hasSuffix("] stopped") })
        }
    }

    @Test("housekeeping rotates a large journal while the unit keeps writing to it")
    func rotatesWhileRunning() async throws {
        let settings = Journal.Settings(maxBytes: 1_000, keep: 2)
        try await withExecSupervisor(journal: settings, housekeeping: 0.1) { supervisor, scratch in
            // 3 000 bytes, then a pause (rotation happens), then one more line.
            let script = "i=0; while [ $i -lt 50 ]; do echo line-$i-0123456789012345678901234567890123456789012345; i=$((i+1)); done; "
                + "while [ ! -e \(scratch.path("go")) ]; do sleep 0.05; done; echo after-rotation; exec sleep 1000"
            await supervisor.apply([assignment(units: [shellUnit("web", script)])])
            let log = scratch.path("journal/app@1+web.log")
            #expect(await eventually { FileManager.default.fileExists(atPath: log + ".1") && JournalReader.size(log) < 1_000 })
            _ = FileManager.default.createFile(atPath: scratch.path("go"), contents: nil)
            #expect(await eventually { scratch.read("journal/app@1+web.log").contains("after-rotation") })
            // O_APPEND: the writer continued at the new end, no hole of zero bytes.
            #expect(!scratch.read("journal/app@1+web.log").contains("\u{0}"))
            #expect(scratch.read("journal/app@1+web.log.1").contains("line-49-"))
            let lines = supervisor.journalReader(instance: "app@1", unit: "web").lastLines(3)
            #expect(lines.last == "after-rotation")
            #expect(lines.first?.hasPrefix("line-4") == true || lines.first?.hasPrefix("[flotilla") == true)
        }
    }

    @Test("at start the journal keeps live instances (moving the older per-instance layout) and drops the rest")
    func prepareTidiesAndMigrates() throws {
        let directory = NSTemporaryDirectory() + "flotilla-journal-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = FileManager.default
        for dir in ["a@1", "b@1"] { try manager.createDirectory(atPath: "\(directory)/\(dir)", withIntermediateDirectories: true) }
        for file in ["a@1/web.log", "a@1/web.log.1", "b@1/web.log", "a@1+db.log", "c@1+x.log", "c@1+x.log.2"] {
            try "\(file)\n".write(toFile: "\(directory)/\(file)", atomically: false, encoding: .utf8)
        }
        let journal = Journal(directory: directory, settings: Journal.Settings(keep: 2))
        journal.prepare(live: ["a@1"])
        #expect(try manager.contentsOfDirectory(atPath: directory).sorted() == ["a@1+db.log", "a@1+web.log", "a@1+web.log.1"])
        #expect(JournalReader(path: journal.path(instance: "a@1", unit: "web"), keep: 2).lastLines(5) == ["a@1/web.log.1", "a@1/web.log"])
        journal.remove(instance: "a@1", units: ["web", "db"])
        #expect(try manager.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test("rotation keeps N copies, newest in .1, and truncates in place")
    func rotationKeepsCount() throws {
        let directory = NSTemporaryDirectory() + "flotilla-journal-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/u.log"
        let writer = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        defer { close(writer) }
        let settings = Journal.Settings(maxBytes: 10, keep: 2)
        for round in 1...4 {
            let text = Array("round \(round) ........\n".utf8)
            _ = write(writer, text, text.count)
            #expect(Journal.rotateIfNeeded(path, settings: settings))
            #expect(JournalReader.size(path) == 0)
        }
        #expect(!Journal.rotateIfNeeded(path, settings: settings)) // empty: nothing to do
        let read = { (name: String) in FileManager.default.contents(atPath: name).map { String(decoding: $0, as: UTF8.self) } }
        #expect(read(path + ".1") == "round 4 ........\n")
        #expect(read(path + ".2") == "round 3 ........\n")
        #expect(read(path + ".3") == nil)
        let tail = JournalReader(path: path, keep: 2).lastLines(5)
        #expect(tail == ["round 3 ........", "round 4 ........"])
    }

    @Test("lastLines reads only the end of a big file")
    func lastLinesOfBigFile() throws {
        let path = NSTemporaryDirectory() + "flotilla-tail-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = (0..<20_000).map { "line \($0)" }.joined(separator: "\n") + "\npartial"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(JournalReader(path: path, keep: 0).lastLines(3) == ["line 19998", "line 19999", "partial"])
        #expect(JournalReader(path: path, keep: 0).lastLines(0) == [])
        #expect(JournalReader(path: path + ".none", keep: 3).lastLines(3) == [])
    }

    @Test("follow yields appended lines, across a rotation, without losing any")
    func follow() async throws {
        let directory = NSTemporaryDirectory() + "flotilla-follow-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/u.log"
        try "old line\n".write(toFile: path, atomically: true, encoding: .utf8)
        let writer = open(path, O_WRONLY | O_APPEND)
        defer { close(writer) }
        func append(_ text: String) { let bytes = Array(text.utf8); _ = write(writer, bytes, bytes.count) }
        var lines = JournalReader(path: path, keep: 1).follow(recheck: .seconds(1)).makeAsyncIterator()
        append("one\ntw")
        #expect(await lines.next() == "one")
        append("o\nthree\n")
        Journal.rotateIfNeeded(path, settings: Journal.Settings(maxBytes: 1, keep: 1)) // before the reader saw "three"
        append("four\n")
        #expect(await lines.next() == "two")
        #expect(await lines.next() == "three")
        #expect(await lines.next() == "four")
    }
}
