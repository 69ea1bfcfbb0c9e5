import FlotillaTesting
import Foundation
import FlotillaEtcd
import FlotillaStore
import FlotillaStoreSQLite
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

/// Maintenance.Snapshot over the SQLite store: the stream as etcd sends it (chunks with
/// `remaining_bytes`, then the SHA-256), and the bytes restore into a working store.
@Suite struct EtcdServerSnapshotTests {
    @Test func snapshotStreamsAConsistentSQLiteFileFollowedByItsSHA256() async throws {
        try await withScratch { scratch in
            let directory = scratch.directory()
            let store = try scratch.open(directory)
            let value = Bytes(repeating: 0x61, count: 1024)
            for i in 0..<300 { _ = try await store.put(PutRequest(key: Bytes(utf8: "/snap/\(i)"), value: value)) }
            let revision = try await store.status().header.revision
            let messages = try await withServer(store) { port in
                try await withMaintenanceClient(port) { maintenance in
                    try await maintenance.snapshot(Etcdserverpb_SnapshotRequest()) { response in
                        var all: [Etcdserverpb_SnapshotResponse] = []
                        for try await message in response.messages {
                            all.append(message)
                            // Written while the snapshot streams: must not be in it.
                            if all.count == 1 { _ = try await store.put(PutRequest(key: Bytes(utf8: "/snap/late"), value: value)) }
                        }
                        return all
                    }
                }
            }
            try #require(messages.count >= 3)
            let chunks = messages.dropLast(), trailer = messages[messages.count - 1]
            let data = chunks.reduce(into: Data()) { $0 += $1.blob }
            #expect(chunks.allSatisfy { $0.blob.count <= SQLiteStore.snapshotChunkSize })
            #expect(UInt64(data.count) == chunks[0].remainingBytes + UInt64(chunks[0].blob.count))
            var remaining = UInt64(data.count)
            for chunk in chunks {
                remaining -= UInt64(chunk.blob.count)
                #expect(chunk.remainingBytes == remaining)
            }
            #expect(trailer.remainingBytes == 0 && trailer.blob.count == 32)
            #expect(messages.allSatisfy { $0.header.revision == revision && $0.header.clusterID != 0 })
            #expect(try sha256sum(data) == trailer.blob.map { String(format: "%02x", $0) }.joined())

            // The data is a store.sqlite: a new directory with it opens at the snapshot's revision.
            let restored = scratch.directory()
            try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: restored + "/store.sqlite"))
            let copy = try scratch.open(restored)
            let keys = try await copy.range(.prefix(Bytes(utf8: "/snap/")))
            #expect(keys.count == 300 && keys.header.revision == revision)
            #expect(keys.kvs.allSatisfy { $0.value == value })

            // The copy was unlinked: nothing but the database files is left in the store directory.
            let left = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(!left.contains { $0.hasPrefix("snapshot-") }, "left behind: \(left)")
        }
    }

    @Test(.enabled(if: onPath("etcdctl"), "etcdctl is not installed (apt-get install etcd-client)"))
    func etcdctlSnapshotSaveWritesTheDatabaseAndItsChecksum() async throws {
        try await withScratch { scratch in
            let store = try scratch.open()
            for i in 0..<50 { _ = try await store.put(PutRequest(key: Bytes(utf8: "/e/\(i)"), value: Bytes(utf8: "v\(i)"))) }
            let file = scratch.base + "/saved.db"
            let revision = try await store.status().header.revision
            let result = try await withServer(store) { port in try await etcdctl(port, ["snapshot", "save", file]) }
            #expect(result.status == 0 && result.out == "Snapshot saved at \(file)\n", "\(result)")

            // The file is the SQLite database followed by its SHA-256 (etcd's layout).
            let saved = try Data(contentsOf: URL(fileURLWithPath: file))
            try #require(saved.count > 32)
            let data = saved.prefix(saved.count - 32), trailer = saved.suffix(32)
            #expect(try sha256sum(Data(data)) == trailer.map { String(format: "%02x", $0) }.joined())
            let restored = scratch.directory()
            try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
            try Data(data).write(to: URL(fileURLWithPath: restored + "/store.sqlite"))
            let keys = try await scratch.open(restored).range(.prefix(Bytes(utf8: "/e/")))
            #expect(keys.count == 50 && keys.header.revision == revision)

            // etcdctl's own readers expect etcd's bbolt format and refuse it.
            let status = try await etcdctl(0, ["snapshot", "status", file])
            #expect(status.status != 0 && status.err.contains("invalid database"), "\(status)")
        }
    }

    @Test func storesWithoutSnapshotsAnswerUnimplemented() async throws {
        try await withEtcdServer { _, port, _ in
            let error = await #expect(throws: RPCError.self) {
                try await withMaintenanceClient(port) { maintenance in
                    try await maintenance.snapshot(Etcdserverpb_SnapshotRequest()) { response in
                        for try await _ in response.messages {}
                    }
                }
            }
            #expect(error?.code == .unimplemented)
        }
    }

    private func withServer<T: Sendable>(_ store: SQLiteStore, _ body: (Int) async throws -> T) async throws -> T {
        let server = EtcdServer(store: store, configuration: .init(port: 0))
        let port = try await server.start()
        do {
            let result = try await body(port)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}

func withMaintenanceClient<T: Sendable>(_ port: Int,
                                        _ body: @Sendable (Etcdserverpb_Maintenance.Client<HTTP2ClientTransport.Posix>) async throws -> T) async throws -> T {
    try await withGRPCClient(transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port),
                                                       transportSecurity: .plaintext)) { grpc in
        try await body(Etcdserverpb_Maintenance.Client(wrapping: grpc))
    }
}

/// SHA-256 of `data` in hex, computed by coreutils' `sha256sum` (an independent implementation).
func sha256sum(_ data: Data) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-sha-\(UUID().uuidString)")
    try data.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum", file.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return String(text.prefix { !$0.isWhitespace })
}
