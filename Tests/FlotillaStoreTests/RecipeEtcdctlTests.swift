import FlotillaEtcd
import FlotillaStore
import Testing

/// Our Election and StoreMutex against the real `etcdctl elect` / `etcdctl lock` (etcd's own
/// clientv3/concurrency), over our EtcdServer and over a real etcd 3.4: same keys, same
/// leader, mutual exclusion both ways.
@Suite(.enabled(if: onPath("etcdctl") && onPath("etcd"), "needs etcdctl and etcd (apt-get install etcd-client etcd-server)"),
       .timeLimit(.minutes(3)))
struct RecipeEtcdctlTests {
    @Test(arguments: InteropTarget.allCases)
    func etcdctlListenerSeesOurLeader(target: InteropTarget) async throws {
        try await target.withStore { client, port in
            try await withSessions(1, on: client) { sessions in
                try await Election(session: sessions[0], prefix: "e1").campaign("ours".bytes)
                let listened = try await etcdctl(port, ["elect", "-l", "e1"], stopAfter: 2.5)
                #expect(listened.out == "e1/\(sessions[0].leaseHex)\nours\n")
            }
        }
    }

    @Test(arguments: InteropTarget.allCases)
    func weWaitForEtcdctlLeaderThenWin(target: InteropTarget) async throws {
        try await target.withStore { client, port in
            try await withBackgroundEtcdctl(port: port, ["elect", "e2", "theirs"]) { theirs in
                #expect(try await pollUntil { theirs.output.hasSuffix("theirs\n") }, "etcdctl elect did not win an empty election")
                let theirKey = String(theirs.output.split(separator: "\n").first ?? "")
                try await withSessions(1, on: client) { sessions in
                    let ours = Election(session: sessions[0], prefix: "e2")
                    let leader = try #require(try await ours.leader())
                    #expect(leader.value == "theirs".bytes && leader.key.utf8String == theirKey)
                    #expect(theirKey == "e2/" + String(leader.lease, radix: 16))
                    let won = RecipeFlag()
                    try await withThrowingTaskGroup(of: LeaderGuard.self) { group in
                        group.addTask {
                            let leadership = try await ours.campaign("ours".bytes)
                            won.set()
                            return leadership
                        }
                        #expect(try await pollUntil { try await client.under("e2/").count == 2 })
                        try await Task.sleep(for: .seconds(1))
                        #expect(!won.isSet, "we must wait while etcdctl leads")
                        theirs.interrupt()
                        let leadership = try await group.next()
                        #expect(leadership?.key == ours.key)
                    }
                    #expect(try await theirs.waitForExit())
                    #expect(try await ours.leader()?.value == "ours".bytes)
                    #expect(try await client.under("e2/").map(\.key) == [ours.key])
                }
            }
        }
    }

    @Test(arguments: InteropTarget.allCases)
    func ourMutexBlocksEtcdctlLock(target: InteropTarget) async throws {
        try await target.withStore { client, port in
            try await withSessions(1, on: client) { sessions in
                let mutex = StoreMutex(session: sessions[0], prefix: "m1")
                try await mutex.lock()
                try await withBackgroundEtcdctl(port: port, ["lock", "m1", "echo", "got"]) { theirs in
                    #expect(try await pollUntil { try await client.under("m1/").count == 2 }, "etcdctl did not queue behind us")
                    try await Task.sleep(for: .seconds(1))
                    let beforeUnlock = theirs.output, runningBeforeUnlock = theirs.isRunning
                    try await mutex.unlock()
                    #expect(try await theirs.waitForExit())
                    #expect(beforeUnlock == "" && runningBeforeUnlock, "etcdctl ran its command while we held the lock")
                    #expect(theirs.output == "got\n" && theirs.status == 0)
                    #expect(try await client.under("m1/").isEmpty)
                }
            }
        }
    }

    @Test(arguments: InteropTarget.allCases)
    func etcdctlLockBlocksOurMutex(target: InteropTarget) async throws {
        try await target.withStore { client, port in
            try await withBackgroundEtcdctl(port: port, ["lock", "m2", "sleep", "4"]) { theirs in
                #expect(try await pollUntil { try await client.under("m2/").count == 1 }, "etcdctl did not take the lock")
                try await withSessions(1, on: client) { sessions in
                    let mutex = StoreMutex(session: sessions[0], prefix: "m2")
                    let acquired = RecipeFlag()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await mutex.lock()
                            acquired.set()
                        }
                        #expect(try await pollUntil { try await client.under("m2/").count == 2 })
                        #expect(!acquired.isSet && theirs.isRunning, "we took the lock while etcdctl held it")
                        try await group.waitForAll()
                    }
                    #expect(try await client.under("m2/").map(\.key) == [mutex.key], "etcdctl's key must be gone when we hold the lock")
                    #expect(try await theirs.waitForExit())
                    #expect(theirs.status == 0)
                    try await mutex.unlock()
                }
            }
        }
    }
}
