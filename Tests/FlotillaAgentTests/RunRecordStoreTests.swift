@testable import FlotillaAgent
import FlotillaModel
import Foundation
import Testing

/// The append-only run-record log: what a later agent reads back.
@Suite("Supervisor: run records")
struct RunRecordStoreTests {
    private func record(_ instance: String, _ unit: String, state: UnitState = .running, restarts: Int = 0) -> UnitRunRecord {
        UnitRunRecord(instance: instance, stack: "s", specRevision: 3, fencingToken: 7, desired: .launched,
                      spec: UnitSpec(name: unit), state: state, main: nil, control: nil, cgroup: nil,
                      restarts: restarts, lastError: nil, since: 1)
    }

    private func withDirectory(_ body: (String) throws -> Void) rethrows {
        let directory = NSTemporaryDirectory() + "flotilla-records-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test("the newest record of a unit wins; a removed instance is gone; order is instance, unit")
    func newestWinsAndRemovalSticks() {
        withDirectory { directory in
            let store = RunRecordStore(directory: directory)
            store.save(record("b@1", "web"))
            store.save(record("a@1", "web", state: .starting))
            store.save(record("a@1", "db"))
            store.save(record("a@1", "web", state: .running, restarts: 2))
            store.save(record("c@1", "web"))
            store.remove(instance: "c@1")
            let again = RunRecordStore(directory: directory).loadAll()
            #expect(again.map { "\($0.instance)/\($0.spec.name)" } == ["a@1/db", "a@1/web", "b@1/web"])
            #expect(again.first { $0.instance == "a@1" && $0.spec.name == "web" }?.restarts == 2)
        }
    }

    @Test("a spec is written once for all the units that run it, again only when it changes; records read back with their specs")
    func specsHaveLinesOfTheirOwn() throws {
        try withDirectory { directory in
            let store = RunRecordStore(directory: directory)
            var changed = record("a@1", "web", restarts: 1)
            changed.spec.environment = [EnvironmentVariable(name: "MODE", value: "b")]
            store.save(record("a@1", "web", state: .starting))
            store.save(record("a@1", "web"))
            store.save(record("a@2", "web"))
            store.save(changed)
            let text = try String(contentsOfFile: directory + "/records.log", encoding: .utf8)
            let lines = text.split(separator: "\n")
            #expect(lines.count == 6, "two spec lines and four records: \(text)")
            #expect(lines.filter { $0.hasPrefix(#"{"spec":"#) }.count == 2, "\(text)")
            let again = RunRecordStore(directory: directory)
            #expect(again.loadAll() == [changed, record("a@2", "web")])
            again.save(record("a@3", "web"))
            #expect(RunRecordStore(directory: directory).loadAll() == [changed, record("a@2", "web"), record("a@3", "web")],
                    "specs keep their IDs across a rewrite")
        }
    }

    @Test("records written with their whole spec (by an older agent) still read back")
    func wholeRecordLinesReadBack() throws {
        try withDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var older = record("a@1", "web")
            older.spec.environment = [EnvironmentVariable(name: "MODE", value: "old")]
            let encoder = JSONEncoder()
            let line = try #"{"record":"# + String(decoding: encoder.encode(older), as: UTF8.self) + "}\n"
            try line.write(toFile: directory + "/records.log", atomically: false, encoding: .utf8)
            #expect(RunRecordStore(directory: directory).loadAll() == [older])
            #expect(RunRecordStore(directory: directory).loadAll() == [older], "after the rewrite too")
        }
    }

    @Test("a torn last line (agent killed mid-write) is skipped, and later saves still read back")
    func tornLineIsSkipped() throws {
        try withDirectory { directory in
            let first = RunRecordStore(directory: directory)
            first.save(record("a@1", "web"))
            let log = directory + "/records.log"
            let handle = try #require(FileHandle(forWritingAtPath: log))
            handle.seekToEndOfFile()
            handle.write(Data(#"{"record":{"instance":"b@1","sta"#.utf8))
            try handle.close()

            let second = RunRecordStore(directory: directory)
            #expect(second.loadAll().map(\.instance) == ["a@1"])
            second.save(record("b@1", "web"))
            #expect(RunRecordStore(directory: directory).loadAll().map(\.instance) == ["a@1", "b@1"])
        }
    }

    @Test("the log is rewritten with only live records once it is mostly superseded lines")
    func logIsCompacted() throws {
        try withDirectory { directory in
            let store = RunRecordStore(directory: directory)
            for restart in 0..<3000 { store.save(record("a@1", "web", restarts: restart)) }
            let lines = try String(contentsOfFile: directory + "/records.log", encoding: .utf8).split(separator: "\n").count
            #expect(lines <= 1025, "\(lines) lines for one live record")
            #expect(RunRecordStore(directory: directory).loadAll().map(\.restarts) == [2999])
        }
    }
}
