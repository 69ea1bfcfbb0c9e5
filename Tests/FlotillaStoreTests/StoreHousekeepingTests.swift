import FlotillaStore
import FlotillaStoreSQLite
import FlotillaTesting
import Foundation
import Testing

@Suite("SQLite store housekeeping")
struct StoreHousekeepingTests {
    @Test("automatic compaction is on by default: periodic, 5 minutes")
    func defaultPolicy() {
        #expect(AutoCompaction.default == .periodic(.seconds(300)))
        #expect(SQLiteStore.Options().autoCompaction == .default)
        #expect(AutoCompaction.default.description == "periodic 5m0s")
    }

    @Test("bad policies are refused when the store opens, saying what to use")
    func badPolicies() async throws {
        try await withScratch { scratch in
            for policy in [AutoCompaction.revision(keep: 0), .revision(keep: -3), .periodic(.zero), .periodic(.milliseconds(200))] {
                let error = #expect(throws: AutoCompactionError.self) {
                    try scratch.open(options: .init(autoCompaction: policy))
                }
                #expect(error?.description.contains("auto-compaction:") == true)
            }
            #expect(throws: Never.self) { try AutoCompaction.off.validate() }
            #expect(throws: Never.self) { try AutoCompaction.revision(keep: 1).validate() }
        }
    }

    @Test("etcd's flag forms: durations, bare hours, revision counts, 0 for off")
    func flagForms() throws {
        #expect(try AutoCompaction.parse(mode: "periodic", retention: "5m") == .periodic(.seconds(300)))
        #expect(try AutoCompaction.parse(mode: "periodic", retention: "1h30m") == .periodic(.seconds(5400)))
        #expect(try AutoCompaction.parse(mode: "periodic", retention: "1") == .periodic(.seconds(3600)))
        #expect(try AutoCompaction.parse(mode: "periodic", retention: "0.5") == .periodic(.seconds(1800)))
        #expect(try AutoCompaction.parse(mode: "periodic", retention: "90s") == .periodic(.seconds(90)))
        #expect(try AutoCompaction.parse(mode: "periodic", retention: nil) == .default)
        #expect(try AutoCompaction.parse(mode: "periodic", retention: "0") == .off)
        #expect(try AutoCompaction.parse(mode: "revision", retention: "1000") == .revision(keep: 1000))
        #expect(try AutoCompaction.parse(mode: "revision", retention: nil) == .revision(keep: 10_000))
        #expect(try AutoCompaction.parse(mode: "revision", retention: "0") == .off)
        #expect(try AutoCompaction.parse(mode: "off", retention: nil) == .off)
        for (mode, retention) in [("periodic", "soon"), ("periodic", "-5m"), ("periodic", "5x"), ("periodic", "500ms"),
                                  ("revision", "5m"), ("revision", "-1"), ("off", "1h"), ("hourly", "1")] {
            #expect(throws: AutoCompactionError.self, "\(mode) \(retention)") {
                try AutoCompaction.parse(mode: mode, retention: retention)
            }
        }
    }

    @Test("revision mode keeps the file (+ WAL) bounded over 100,000 overwrites")
    func revisionModeBoundsTheFile() async throws {
        try await withScratch { scratch in
            let directory = scratch.directory()
            let keep: Int64 = 1000
            let store = try scratch.open(directory, options: .init(autoCompaction: .revision(keep: keep)))
            try await Self.overwrite(store, revisions: 50_000)
            try await Self.settle(store, keep: keep)
            let half = Self.fileSize(directory)
            try await Self.overwrite(store, revisions: 50_000)
            try await Self.settle(store, keep: keep)
            let full = Self.fileSize(directory)
            let status = try await store.status()
            print("housekeeping: store.sqlite + wal after 50k revisions \(half) bytes, after 100k \(full) bytes; compact revision \(status.compactRevision) of \(status.header.revision)")
            #expect(status.header.revision >= 100_001)
            #expect(status.compactRevision >= status.header.revision - keep - keep / 10 - 1)
            // 50,000 more revisions of ~200 bytes would add ~10 MB without compaction.
            #expect(full <= half + 1024 * 1024, "grew from \(half) to \(full) bytes")
            #expect(full < 16 * 1024 * 1024)
            await #expect(throws: StoreError.self) {
                try await store.range(RangeRequest(key: Bytes(utf8: "k0"), revision: 10))
            }
        }
    }

    @Test("without compaction the same overwrites grow the file (the measure above can fail)")
    func withoutCompactionTheFileGrows() async throws {
        try await withScratch { scratch in
            let directory = scratch.directory()
            let store = try scratch.open(directory, options: .init(autoCompaction: .off))
            try await Self.overwrite(store, revisions: 10_000)
            let first = Self.fileSize(directory)
            try await Self.overwrite(store, revisions: 10_000)
            let second = Self.fileSize(directory)
            print("housekeeping: without compaction store.sqlite + wal after 10k revisions \(first) bytes, after 20k \(second) bytes")
            #expect(second > first + 1024 * 1024)
        }
    }

    @Test("periodic mode compacts to the revision noted one retention ago, on the injected clock")
    func periodicModeUsesTheClock() async throws {
        try await withScratch { scratch in
            let clock = ManualClock()
            let directory = scratch.directory()
            let first = try scratch.open(directory, options: .init(autoCompaction: .off))
            try await first.put("k", "0")
            try await first.put("k", "1")
            await first.close()
            let store = try scratch.open(directory, options: .init(autoCompaction: .periodic(.seconds(10)), clock: clock))
            try await Self.until { clock.sleeping == 1 }
            // The compactor noted `noted` when it started, then notes one revision per tenth of the retention.
            let noted = try await store.status().header.revision
            for _ in 0..<5 {
                try await store.put("k", "more")
                clock.advance(by: .seconds(1))
                try await Self.until { clock.sleeping == 1 }
            }
            #expect(try await store.status().compactRevision == 0)
            for _ in 0..<5 {
                clock.advance(by: .seconds(1))
                try await Self.until { clock.sleeping == 1 }
            }
            try await Self.until { try await store.status().compactRevision == noted }
            await #expect(throws: StoreError.compacted(compactRevision: noted)) {
                try await store.range(RangeRequest(key: Bytes(utf8: "k"), revision: noted - 1))
            }
            #expect(try await store.text("k") == "more")
        }
    }

    @Test("a database made without incremental vacuum is converted when opened")
    func convertsOldDatabases() async throws {
        try await withScratch { scratch in
            let directory = scratch.directory()
            let first = try scratch.open(directory, options: .init(autoCompaction: .off))
            try await first.put("kept", "yes")
            await first.close()
            let file = directory + "/store.sqlite"
            #expect(try Self.sqlite(file, "PRAGMA auto_vacuum") == "2")
            #expect(try Self.sqlite(file, "PRAGMA journal_mode = DELETE; PRAGMA auto_vacuum = NONE; VACUUM; PRAGMA auto_vacuum").hasSuffix("0"))
            let second = try scratch.open(directory)
            #expect(try await second.text("kept") == "yes")
            await second.close()
            #expect(try Self.sqlite(file, "PRAGMA auto_vacuum") == "2")
        }
    }

    /// Writes `revisions` revisions to 8 keys, 64 writers at a time (group commit batches them).
    static func overwrite(_ store: SQLiteStore, revisions: Int) async throws {
        let writers = 64
        let value = Bytes(repeating: UInt8(ascii: "v"), count: 150)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for n in stride(from: writer, to: revisions, by: writers) {
                        _ = try await store.put(PutRequest(key: Bytes(utf8: "k\(n % 8)"), value: value))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Waits until the automatic compactor caught up with the last write.
    static func settle(_ store: SQLiteStore, keep: Int64) async throws {
        try await until {
            let status = try await store.status()
            return status.compactRevision >= status.header.revision - keep - keep / 10 - 1
        }
        // The last pass's row removal and space reuse run after the compaction is recorded.
        try await Task.sleep(for: .milliseconds(500))
    }

    /// The database file plus its WAL, in bytes.
    static func fileSize(_ directory: String) -> Int64 {
        ["store.sqlite", "store.sqlite-wal"].reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// Polls `condition` every 10 ms for up to 10 s.
    static func until(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 10 s")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs `sqlite3 FILE SQL` and returns its trimmed output.
    static func sqlite(_ file: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [file, sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
