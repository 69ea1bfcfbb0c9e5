import FlotillaTesting
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import FlotillaEtcd
import FlotillaStore
import Testing

/// A real etcd on 127.0.0.1 with random ports and a temp data dir, stopped by ``stop()``.
struct RealEtcd {
    let process: Process
    let dataDir: URL
    let clientPort: Int

    /// Starts etcd. With `checkingPort` it waits 0.3 s and starts again on new ports when
    /// etcd exited (a port taken between choosing and binding); callers that poll etcd until it
    /// answers can check `process.isRunning` themselves instead.
    static func start(checkingPort: Bool = true) throws -> RealEtcd {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        let clientPort = try freeLoopbackPort(), peerPort = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["etcd", "--name", "flotilla-test", "--data-dir", dataDir.path,
                             "--listen-client-urls", "http://127.0.0.1:\(clientPort)",
                             "--advertise-client-urls", "http://127.0.0.1:\(clientPort)",
                             "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
                             "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
                             "--initial-cluster", "flotilla-test=http://127.0.0.1:\(peerPort)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard checkingPort else { return RealEtcd(process: process, dataDir: dataDir, clientPort: clientPort) }
        // A port taken between choosing and binding makes etcd exit at once: try again.
        Thread.sleep(forTimeInterval: 0.3)
        if !process.isRunning {
            try? FileManager.default.removeItem(at: dataDir)
            return try start()
        }
        return RealEtcd(process: process, dataDir: dataDir, clientPort: clientPort)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dataDir)
    }
}

/// EtcdStore against a real etcd (skipped when `etcd` is not installed: apt-get install etcd-server).
@Suite(.enabled(if: onPath("etcd"), "etcd is not installed (apt-get install etcd-server)"))
struct EtcdRealEtcdTests {
    @Test func clientAgainstRealEtcd() async throws {
        let etcd = try RealEtcd.start()
        let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(etcd.clientPort)"])
        do {
            try await check(client)
            await client.close()
            etcd.stop()
        } catch {
            await client.close()
            etcd.stop()
            throw error
        }
    }

    private func check(_ client: EtcdStore) async throws {
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? await client.range(RangeRequest(key: Bytes(utf8: "health")))) != nil
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "etcd did not start")
        let watch = try await client.watch(.init(key: Bytes(utf8: "/r/"), rangeEnd: KeyRange.prefixEnd(Bytes(utf8: "/r/"))))
        let put = try await client.put(PutRequest(key: Bytes(utf8: "/r/a"), value: Bytes(utf8: "1")))
        #expect(put.header.revision == 2)
        var iterator = watch.makeAsyncIterator()
        #expect(try await iterator.next()?.events.first?.kv.value == Bytes(utf8: "1"))
        watch.cancel()
        let txn = try await client.txn(TxnRequest(compare: [Compare(key: Bytes(utf8: "/r/a"), .createRevision(2), .equal)],
                                                  success: [.put(PutRequest(key: Bytes(utf8: "/r/b"), value: Bytes(utf8: "2")))]))
        #expect(txn.succeeded)
        #expect(try await client.range(.prefix(Bytes(utf8: "/r/"))).count == 2)
        await #expect(throws: StoreError.futureRevision) { _ = try await client.range(RangeRequest(key: Bytes(utf8: "k"), revision: 99)) }
        await #expect(throws: StoreError.keyNotProvided) { _ = try await client.put(PutRequest(key: [])) }
        let lease = try await client.leaseGrant(ttl: 30, id: 0)
        #expect(try await client.leaseKeepAlive(id: lease.id).ttl == 30)
        #expect(try await client.leaseTimeToLive(id: 123, keys: false).ttl == -1)
        _ = try await client.compact(CompactionRequest(revision: 3))
        await #expect(throws: StoreError.compacted(compactRevision: 0)) { _ = try await client.range(RangeRequest(key: Bytes(utf8: "/r/a"), revision: 2)) }
        let status = try await client.status()
        #expect(status.version.hasPrefix("3.") && status.compactRevision == 3)
    }

    /// Reads fail over from a dead endpoint to a live one.
    @Test func readsFailOver() async throws {
        try await withEtcdServer { _, port, _ in
            let client = try EtcdStore.running(endpoints: ["127.0.0.1:1", "127.0.0.1:\(port)"])
            let result = await Result(catching: { try await client.range(RangeRequest(key: Bytes(utf8: "x"))) })
            await client.close()
            #expect(try result.get().header.revision == 1)
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it for a socket bound
/// to port 0, which is then closed).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}
