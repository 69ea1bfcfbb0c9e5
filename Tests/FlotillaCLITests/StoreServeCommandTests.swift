import FlotillaTesting
import FlotillaEtcd
import FlotillaSecurity
import FlotillaStore
import Foundation
import Testing

/// A `flotilla store serve` process started by a test, stopped with SIGTERM.
final class ServeProcess {
    let process = Process()
    let port: Int

    init(dataDirectory: String, binary: URL = FlotillaBinary.url, arguments: [String] = []) throws {
        process.executableURL = binary
        process.arguments = ["store", "serve", "--data-dir", dataDirectory, "--listen", "127.0.0.1:0"] + arguments
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
        let client = try EtcdStore.running(endpoints: ["127.0.0.1:\(first.port)"])
        let put = try await client.put(PutRequest(key: Bytes(utf8: "/flotilla/a"), value: Bytes(utf8: "1")))
        _ = try await client.put(PutRequest(key: Bytes(utf8: "/flotilla/a"), value: Bytes(utf8: "2")))
        await client.close()
        #expect(first.stop() == 0)

        let second = try ServeProcess(dataDirectory: directory)
        let again = try EtcdStore.running(endpoints: ["127.0.0.1:\(second.port)"])
        let read = try await again.range(RangeRequest.prefix(Bytes(utf8: "/flotilla/")))
        #expect(read.kvs.map(\.value.utf8String) == ["2"])
        #expect(read.kvs.first?.version == 2)
        #expect(read.kvs.first?.createRevision == put.header.revision)
        let next = try await again.put(PutRequest(key: Bytes(utf8: "/flotilla/b"), value: Bytes(utf8: "3")))
        #expect(next.header.revision == put.header.revision + 2)
        await again.close()
        #expect(second.stop() == 0)
    }

    @Test("with --cert-file, --key-file and --trusted-ca-file it serves TLS only, to clients with a certificate of that CA")
    func servesTLSWithClientCertificates() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-serve-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = try ClusterCA.create()
        let server = try ca.issueKeyPair(commonName: "store", ipAddresses: ["127.0.0.1"], usage: .server)
        let client = try ca.issueKeyPair(commonName: "client", usage: .client)
        let files = ["ca.crt": ca.certificatePEM, "server.crt": server.certificatePEM, "server.key": server.keyPEM,
                     "client.crt": client.certificatePEM, "client.key": client.keyPEM]
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        let serve = try ServeProcess(dataDirectory: directory + "/data", arguments: [
            "--cert-file", directory + "/server.crt", "--key-file", directory + "/server.key", "--trusted-ca-file", directory + "/ca.crt"])
        defer { _ = serve.stop() }
        let endpoint = "https://127.0.0.1:\(serve.port)"
        let withCertificate = EtcdTLS(caPEM: ca.certificatePEM, certificatePEM: client.certificatePEM, keyPEM: client.keyPEM)
        let trusted = try EtcdStore.running(configuration: .init(endpoints: [endpoint], transportSecurity: withCertificate.clientSecurity))
        let put = try await trusted.put(PutRequest(key: Bytes(utf8: "/tls/a"), value: Bytes(utf8: "1")))
        #expect(put.header.revision == 2)
        await trusted.close()
        let anonymous = try EtcdStore.running(configuration: .init(endpoints: [endpoint], transportSecurity: EtcdTLS(caPEM: ca.certificatePEM).clientSecurity))
        await #expect(throws: (any Error).self, "a client without a certificate is refused") {
            _ = try await anonymous.range(RangeRequest(key: Bytes(utf8: "/tls/a")))
        }
        await anonymous.close()
        let partial = try FlotillaBinary.run(["store", "serve", "--data-dir", directory + "/data", "--cert-file", directory + "/server.crt"])
        #expect(partial.status == 64 && partial.stderr.contains("go together"), "\(partial.stderr)")
        let mismatched = try FlotillaBinary.run(["store", "serve", "--data-dir", directory + "/data", "--cert-file", directory + "/server.crt",
                                                 "--key-file", directory + "/client.key", "--trusted-ca-file", directory + "/ca.crt"])
        #expect(mismatched.status == 64 && mismatched.stderr.contains("is not the key of the certificate in --cert-file"), "\(mismatched.stderr)")
    }

    @Test func badListenAddressIsAUsageError() throws {
        let result = try FlotillaBinary.run(["store", "serve", "--data-dir", "/tmp/unused", "--listen", "nowhere"])
        #expect(result.status == 64)
        #expect(result.stderr.contains(#"--listen "nowhere" is not HOST:PORT"#), "\(result.stderr)")
    }

    @Test("an agent with a bad --fleetlock-listen stops before it makes anything")
    func agentRefusesABadFleetLockAddress() throws {
        let state = NSTemporaryDirectory() + "flotilla-fleetlock-\(UUID().uuidString.prefix(8))"
        let result = try FlotillaBinary.run(["agent", "--state-dir", state, "--listen", "127.0.0.1:0", "--store-listen", "127.0.0.1:0",
                                             "--machine-id", "bad-fleetlock", "--fleetlock-listen", "nowhere"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(#"FleetLock listen address "nowhere" is not HOST:PORT"#), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state), "nothing was made")
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
