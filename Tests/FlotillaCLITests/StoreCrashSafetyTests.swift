import FlotillaTesting
import FlotillaEtcd
import FlotillaStore
import Foundation
import Testing

/// `flotilla store serve` killed with SIGKILL while clients write: every acknowledged write
/// survives, txns are all-or-nothing, revisions never go back, leases keep their deadlines.
@Suite("store crash safety", .serialized)
struct StoreCrashSafetyTests {
    static let writerCount = 8
    static let kills = 25

    @Test func acknowledgedWritesSurviveSIGKILL() async throws {
        let server = KillableServer(directory: scratchDirectory("crash"))
        defer { server.destroy() }
        try server.start()
        let endpoint = "127.0.0.1:\(server.port)"
        // The same clients for every round: they must reconnect to the restarted server.
        let clients = try (0...Self.writerCount).map { _ in try EtcdStore.running(endpoints: [endpoint]) }
        let checker = clients[Self.writerCount]
        var ledger = CrashLedger()
        var problems: [String] = []
        var roundTimes: [Duration] = []
        do {
            for round in 0..<Self.kills {
                let started = ContinuousClock.now
                for client in clients { _ = try await untilAvailable { try await client.range(RangeRequest(key: Bytes(utf8: "ready"))) } }
                let records = try await Self.writeThenKill(round: round, clients: Array(clients.prefix(Self.writerCount)), server: server)
                for writer in records { problems += ledger.record(writer).map { "round \(round): \($0)" } }
                try server.start()
                let read = try await untilAvailable { try await checker.range(RangeRequest.prefix(Bytes(utf8: "crash/"))) }
                problems += ledger.check(read).map { "round \(round): \($0)" }
                let probe = try await checker.put(PutRequest(key: Bytes(utf8: "crash/probe"), value: Bytes(utf8: "r\(round)")))
                if probe.header.revision <= ledger.highestSeen {
                    problems.append("round \(round): first write after restart got revision \(probe.header.revision), already saw \(ledger.highestSeen)")
                }
                ledger.acknowledge("crash/probe", value: "r\(round)", revision: probe.header.revision)
                roundTimes.append(ContinuousClock.now - started)
                if problems.count > 20 { break }
            }
        } catch {
            for client in clients { await client.close() }
            throw error
        }
        for client in clients { await client.close() }
        let total = roundTimes.reduce(Duration.zero, +)
        print("crash safety: \(roundTimes.count) SIGKILLs, \(ledger.acknowledged) acknowledged writes, \(ledger.inFlight) in flight at the kill (\(ledger.inFlightApplied) keys of them applied), \(ledger.expected.count) keys, revision \(ledger.highestSeen); \(total / max(roundTimes.count, 1)) per round, \(total) total")
        #expect(problems.isEmpty, "\(problems.prefix(20).joined(separator: "\n"))\n\(server.log())")
        #expect(roundTimes.count == Self.kills)
        #expect(ledger.acknowledged > Self.kills * Self.writerCount, "the writers barely wrote; the kills came too early to test anything")
    }

    /// Starts the writers, SIGKILLs the server after 100–400 ms, and returns every writer's
    /// records once each has seen its in-flight write fail.
    static func writeThenKill(round: Int, clients: [EtcdStore], server: KillableServer) async throws -> [[CrashRecord]] {
        enum Finished: Sendable { case writer([CrashRecord]), watchdog }
        return try await withThrowingTaskGroup(of: Finished.self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask { .writer(await CrashWriter(round: round, index: index, client: client).run()) }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...400)))
            server.kill()
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                throw CrashCheckFailure(message: "round \(round): a writer did not notice the kill within 30 s (hung call)")
            }
            var all: [[CrashRecord]] = []
            while all.count < clients.count, let finished = try await group.next() {
                if case .writer(let records) = finished { all.append(records) }
            }
            group.cancelAll()
            return all
        }
    }

    @Test func leasesKeepTheirDeadlinesAcrossSIGKILL() async throws {
        let server = KillableServer(directory: scratchDirectory("crash-lease"))
        defer { server.destroy() }
        try server.start()
        let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(server.port)"])
        do {
            try await Self.leaseScenario(server: server, client: client)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }

    static func leaseScenario(server: KillableServer, client: EtcdStore) async throws {
        func present(_ key: String) async throws -> Bool {
            try await untilAvailable { try await client.range(RangeRequest(key: Bytes(utf8: key))) }.kvs.count == 1
        }
        let before1 = Date()
        let short = try await client.leaseGrant(ttl: 3, id: 0).id
        let after1 = Date()
        _ = try await client.put(PutRequest(key: Bytes(utf8: "lease/short"), value: Bytes(utf8: "1"), lease: short))
        let keptGranted = Date()
        let kept = try await client.leaseGrant(ttl: 6, id: 0).id
        _ = try await client.put(PutRequest(key: Bytes(utf8: "lease/kept"), value: Bytes(utf8: "2"), lease: kept))

        // Restart before the short lease's deadline: the key stays until the deadline, then goes.
        server.kill()
        try server.start()
        let keepAlive = { @Sendable in
            let ttl = try await untilAvailable { try await client.leaseKeepAlive(id: kept) }.ttl
            #expect(ttl == 6, "the kept-alive lease was lost")
        }
        try await keepAlive()
        let checkedEarly = Date()
        if try await present("lease/short") == false {
            #expect(checkedEarly.timeIntervalSince(before1) >= 2.99, "lease/short vanished before its lease's deadline")
        }
        var lastRenewal = Date()
        var vanished: Date?
        while vanished == nil, Date() < after1.addingTimeInterval(3 + 10) {
            if Date().timeIntervalSince(lastRenewal) > 1 { try await keepAlive(); lastRenewal = Date() }
            if try await present("lease/short") == false { vanished = Date() } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        let gone = try #require(vanished, "lease/short still there 10 s after its lease's deadline")
        #expect(gone.timeIntervalSince(before1) >= 2.99, "lease/short vanished before its deadline")
        print("lease expiry across a restart: key gone \(String(format: "%.2f", gone.timeIntervalSince(after1))) s after the grant (TTL 3 s)")
        #expect(try await client.leaseTimeToLive(id: short, keys: false).ttl == -1)
        #expect(try await !client.leaseLeases().leases.contains(short))

        // A lease whose deadline passes while the server is down is revoked right after restart.
        let granted3 = try await client.leaseGrant(ttl: 3, id: 0).id
        let after3 = Date()
        _ = try await client.put(PutRequest(key: Bytes(utf8: "lease/down"), value: Bytes(utf8: "3"), lease: granted3))
        try await keepAlive()
        server.kill()
        try await Task.sleep(for: .seconds(max(0.1, after3.addingTimeInterval(3.3).timeIntervalSinceNow)))
        try server.start()
        let restarted = Date()
        try await keepAlive()
        while try await present("lease/down"), Date().timeIntervalSince(restarted) < 10 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await present("lease/down") == false, "lease/down still there 10 s after the restart")
        print("lease expired while down: key gone \(String(format: "%.2f", Date().timeIntervalSince(restarted))) s after the restart")
        #expect(try await !client.leaseLeases().leases.contains(granted3))

        // The kept-alive lease outlived its TTL twice over two restarts.
        #expect(Date().timeIntervalSince(keptGranted) > 6)
        let keptKey = try await client.range(RangeRequest(key: Bytes(utf8: "lease/kept"))).kvs.first
        #expect(keptKey?.lease == kept && keptKey?.value.utf8String == "2")
        #expect(try await client.leaseTimeToLive(id: kept, keys: false).ttl > 0)
        _ = try await client.leaseRevoke(id: kept)
        #expect(try await present("lease/kept") == false)
    }
}
