import FlotillaEtcd
import FlotillaStore
import Foundation
import Testing

/// A `flotilla store serve` process started by a test, stopped with SIGTERM.
final class ServeProcess {
    let process = Process()
    let port: Int

    init(dataDirectory: String, binary: URL = FlotillaBinary.url) throws {
        process.executableURL = binary
        process.arguments = ["store", "serve", "--data-dir", dataDirectory, "--listen", "127.0.0.1:0"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line names the bound port: "... on 127.0.0.1:PORT (etcd v3 API)".
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: #"127\.0\.0\.1:(\d+) "#, options: .regularExpression),
              let port = Int(text[range].dropFirst("127.0.0.1:".count).dropLast()) else {
            process.terminate()
            throw ServeFailure(message: "flotilla store serve printed no address: \(text)")
        }
        self.port = port
    }

    /// SIGTERM, then waits; returns the exit status.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

struct ServeFailure: Error { var message: String }

@Suite("flotilla store serve")
struct StoreServeCommandTests {
    @Test func servesEtcdAPIAndKeepsDataAcrossRestarts() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-serve-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let first = try ServeProcess(dataDirectory: directory)
        let client = try EtcdStore(endpoints: ["127.0.0.1:\(first.port)"])
        let put = try await client.put(PutRequest(key: Bytes(utf8: "/flotilla/a"), value: Bytes(utf8: "1")))
        _ = try await client.put(PutRequest(key: Bytes(utf8: "/flotilla/a"), value: Bytes(utf8: "2")))
        await client.close()
        #expect(first.stop() == 0)

        let second = try ServeProcess(dataDirectory: directory)
        let again = try EtcdStore(endpoints: ["127.0.0.1:\(second.port)"])
        let read = try await again.range(RangeRequest.prefix(Bytes(utf8: "/flotilla/")))
        #expect(read.kvs.map(\.value.utf8String) == ["2"])
        #expect(read.kvs.first?.version == 2)
        #expect(read.kvs.first?.createRevision == put.header.revision)
        let next = try await again.put(PutRequest(key: Bytes(utf8: "/flotilla/b"), value: Bytes(utf8: "3")))
        #expect(next.header.revision == put.header.revision + 2)
        await again.close()
        #expect(second.stop() == 0)
    }

    @Test func badListenAddressIsAUsageError() throws {
        let result = try FlotillaBinary.run(["store", "serve", "--data-dir", "/tmp/unused", "--listen", "nowhere"])
        #expect(result.status == 64)
        #expect(result.stderr.contains(#"--listen "nowhere" is not HOST:PORT"#), "\(result.stderr)")
    }

    @Test("an agent refuses compaction flags with --store: an etcd cluster compacts by its own flags")
    func agentRefusesCompactionFlagsWithAnEtcdCluster() throws {
        let result = try FlotillaBinary.run(["agent", "--state-dir", "/tmp/unused-agent", "--store", "http://127.0.0.1:1",
                                             "--auto-compaction-mode", "off"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("apply to the embedded store"), "\(result.stderr)")
    }

    @Test func badAutoCompactionFlagsAreUsageErrors() throws {
        let cases: [([String], String)] = [
            (["--auto-compaction-mode", "sometimes"], "unknown mode 'sometimes'"),
            (["--auto-compaction-mode", "revision", "--auto-compaction-retention", "5m"], "whole number of revisions"),
            (["--auto-compaction-mode", "periodic", "--auto-compaction-retention", "soon"], "duration like 5m"),
            (["--auto-compaction-mode", "periodic", "--auto-compaction-retention", "100ms"], "at least 1s"),
            (["--auto-compaction-mode", "off", "--auto-compaction-retention", "1h"], "has no effect with mode 'off'"),
        ]
        for (flags, message) in cases {
            let result = try FlotillaBinary.run(["store", "serve", "--data-dir", "/tmp/unused"] + flags)
            #expect(result.status == 64, "\(flags)")
            #expect(result.stderr.contains(message), "\(flags): \(result.stderr)")
        }
    }
}
