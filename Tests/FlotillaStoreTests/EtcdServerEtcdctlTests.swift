import Foundation
import FlotillaEtcd
import FlotillaStore
import Testing

/// Runs `etcdctl` (API 3) with `arguments`; returns stdout, stderr and the exit status.
/// `stopAfter` kills long-running commands (watch, keep-alive) after that many seconds.
/// Runs on a Dispatch thread: blocking a cooperative-pool thread could starve the server.
func etcdctl(_ port: Int, _ arguments: [String], stopAfter: Double? = nil) async throws -> (out: String, err: String, status: Int32) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try runEtcdctl(port, arguments, stopAfter: stopAfter) })
        }
    }
}

private func runEtcdctl(_ port: Int, _ arguments: [String], stopAfter: Double?) throws -> (out: String, err: String, status: Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["etcdctl", "--endpoints", "127.0.0.1:\(port)", "--dial-timeout", "3s"] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(["ETCDCTL_API": "3"]) { $1 }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etcdctl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    if let stopAfter {
        Thread.sleep(forTimeInterval: stopAfter)
        if process.isRunning { process.terminate() }
    }
    process.waitUntilExit()
    let outData = try Data(contentsOf: outURL), errData = try Data(contentsOf: errURL)
    return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self), process.terminationStatus)
}

/// True when an executable is on PATH.
func onPath(_ name: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
    }
}

/// The real etcdctl 3.4 against EtcdServer.
@Suite(.enabled(if: onPath("etcdctl"), "etcdctl is not installed (apt-get install etcd-client)"))
struct EtcdServerEtcdctlTests {
    @Test func putGetDeleteJSON() async throws {
        try await withEtcdServer { _, port, _ in
            #expect(try await etcdctl(port, ["put", "/f/a", "1"]).out == "OK\n")
            #expect(try await etcdctl(port, ["put", "/f/b", "2"]).out == "OK\n")
            #expect(try await etcdctl(port, ["get", "/f/", "--prefix"]).out == "/f/a\n1\n/f/b\n2\n")
            #expect(try await etcdctl(port, ["get", "/f/", "--prefix", "--keys-only", "--limit", "1"]).out == "/f/a\n\n")
            let json = try await etcdctl(port, ["get", "/f/a", "-w", "json"])
            let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
            let header = object?["header"] as? [String: Any]
            #expect((header?["revision"] as? Int) == 3)
            #expect((header?["cluster_id"] as? UInt64 ?? 0) != 0 && (header?["member_id"] as? UInt64 ?? 0) != 0)
            let kv = (object?["kvs"] as? [[String: Any]])?.first
            #expect(kv?["key"] as? String == Data("/f/a".utf8).base64EncodedString())
            #expect(kv?["value"] as? String == Data("1".utf8).base64EncodedString())
            #expect(kv?["create_revision"] as? Int == 2 && kv?["version"] as? Int == 1)
            #expect(try await etcdctl(port, ["del", "/f/", "--prefix"]).out == "2\n")
            #expect(try await etcdctl(port, ["get", "/f/", "--prefix"]).out == "")
            let bad = try await etcdctl(port, ["get", "/f/a", "--rev", "99"])
            #expect(bad.status != 0 && bad.err.contains("required revision is a future revision"))
        }
    }

    @Test func watchSeesPuts() async throws {
        try await withEtcdServer { client, port, _ in
            // Writes first, then a replaying watch: no race with etcdctl's start-up time.
            _ = try await client.put(PutRequest(key: Bytes(utf8: "/w/x"), value: Bytes(utf8: "v1")))
            _ = try await client.deleteRange(DeleteRangeRequest(key: Bytes(utf8: "/w/x")))
            let result = try await etcdctl(port, ["watch", "/w/", "--prefix", "--rev", "2"], stopAfter: 2.5)
            #expect(result.out == "PUT\n/w/x\nv1\nDELETE\n/w/x\n\n")
        }
    }

    @Test func leasesStatusMembers() async throws {
        try await withEtcdServer { _, port, _ in
            let granted = try await etcdctl(port, ["lease", "grant", "60"])
            let grant = granted.out
            #expect(grant.hasPrefix("lease ") && grant.hasSuffix(" granted with TTL(60s)\n"), "\(granted)")
            let words = grant.split(separator: " ")
            try #require(words.count > 1)
            let id = words[1]
            #expect(try await etcdctl(port, ["put", "/l", "x", "--lease=\(id)"]).out == "OK\n")
            #expect(try await etcdctl(port, ["lease", "timetolive", String(id), "--keys"]).out.contains("attached keys([/l])"))
            #expect(try await etcdctl(port, ["lease", "list"]).out.contains(String(id)))
            #expect(try await etcdctl(port, ["lease", "keep-alive", "--once", String(id)]).out.contains("keepalived with TTL(60)"))
            #expect(try await etcdctl(port, ["lease", "revoke", String(id)]).out.contains("revoked"))
            let status = try await etcdctl(port, ["endpoint", "status", "-w", "table"]).out
            #expect(status.contains("3.4.23") && status.contains("127.0.0.1:\(port)"))
            let members = try await etcdctl(port, ["member", "list"]).out
            #expect(members.contains("started, test-node, http://localhost:2380, http://127.0.0.1:\(port)"))
            #expect(try await etcdctl(port, ["endpoint", "health"]).err.contains("is healthy"))
            #expect(try await etcdctl(port, ["endpoint", "hashkv"]).out.contains("127.0.0.1:\(port)"))
            #expect(try await etcdctl(port, ["alarm", "list"]).status == 0)
            #expect(try await etcdctl(port, ["compaction", "2"]).out.contains("compacted revision 2"))
        }
    }
}
