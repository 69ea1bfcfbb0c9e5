@testable import FlotillaAPI
import FlotillaModel
import FlotillaStore
import FlotillaTesting
import Foundation
import Testing

/// What a request can do to the server is bounded: bodies, nesting, names, counts. Each bad
/// request gets its error, nothing is written, and the server goes on serving.
@Suite("API limits on requests")
struct APILimitsTests {
    private func status(_ answer: String) -> Int {
        guard answer.hasPrefix("HTTP/"), let code = answer.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return code
    }

    @Test("an oversize body gets 413, deep JSON 400 'too deeply nested', bad names 400; nothing is written and the server keeps serving")
    func badRequests() async throws {
        let store = InMemoryStore()
        try await withSecuredAPIServer(store: store) { client, port, credentials in
            let base = "https://127.0.0.1:\(port)"
            let before = try await clusterRevision(store)
            let directory = NSTemporaryDirectory() + "flotilla-limits-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let big = directory + "/big.json"
            try Data(repeating: UInt8(ascii: " "), count: 9 << 20).write(to: URL(fileURLWithPath: big))
            let oversize = try await curl("POST", base + "/v1/apply", credentials,
                                          arguments: ["-H", "Content-Type: application/json", "--data-binary", "@" + big])
            #expect(status(oversize) == 413 && oversize.contains("larger than 8 MiB"), "\(oversize.prefix(300))")

            let deep = directory + "/deep.json"
            try Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8).write(to: URL(fileURLWithPath: deep))
            let nested = try await curl("POST", base + "/v1/apply", credentials,
                                        arguments: ["-H", "Content-Type: application/json", "--data-binary", "@" + deep])
            #expect(status(nested) == 400 && nested.contains("too deeply nested"), "\(nested.prefix(300))")

            let tricks = ["/v1/logs/web@..%2F..%2Fx.service/main", "/v1/logs/web@1/..", "/v1/stacks/\(String(repeating: "a", count: 300))/stop",
                          "/v1/machines/m%00x/cordon", "/v1/stacks/%2Fetc%2Fpasswd/history"]
            for path in tricks {
                let method = path.hasSuffix("/stop") || path.hasSuffix("/cordon") ? "POST" : "GET"
                let answer = try await curl(method, base + path, credentials, arguments: ["--path-as-is"])
                #expect(status(answer) == 400 && answer.contains(#"{"error":"the "#), "\(method) \(path):\n\(answer.prefix(400))")
            }
            let long = try await curl("GET", base + "/v1/stacks/\(String(repeating: "a", count: 300))/history", credentials)
            #expect(long.contains("is longer than 253 characters"), "\(long.prefix(300))")

            do {
                _ = try await client.apply(ApplyRequest(files: [SpecText(path: "huge.yaml", text: stackFile("huge", count: 10_001))]))
                Issue.record("a count above the bound was applied")
            } catch let error as APIClientError {
                #expect(error.status == 400 && "\(error)".contains("at most 10000"), "\(error)")
            }
            #expect(try await clusterRevision(store) == before, "nothing was written")
            #expect(try await client.health().storeReachable, "the server still serves")
        }
    }

    @Test("nesting is counted outside strings only")
    func depthIgnoresStrings() {
        #expect(!JSONDepth.exceeds(#"{"a": "[[[[[[[[[[", "b": [1, {"c": "\"]]]]"}]}"#.utf8, limit: 3))
        #expect(JSONDepth.exceeds("[[[[1]]]]".utf8, limit: 3))
    }

    @Test("a connection that sends nothing is closed after the idle timeout; a body sent a byte at a time gets 408 and its connection is closed, also on a route that answers before reading it")
    func stalledConnections() async throws {
        let timeouts = APITimeouts(idle: .seconds(1), body: .seconds(1), request: .seconds(3))
        try await withSecuredAPIServer(store: InMemoryStore(), timeouts: timeouts) { client, port, credentials in
            // Connect and send nothing (no TLS handshake): the server hangs up.
            let silent = try await output(of: "/usr/bin/python3", ["-c", """
                import socket, time
                s = socket.create_connection(("127.0.0.1", \(port)))
                s.settimeout(20)
                print("closed" if s.recv(1) == b"" else "data")
                """])
            #expect(silent.hasPrefix("closed"), "an idle connection is closed: \(silent)")
            // A 1000-byte body, one byte every 100 ms: never idle, but it would take 100 s.
            for (token, expected) in [(credentials.admin.text, "HTTP/1.1 408"), ("", "HTTP/1.1 401")] {
                let answer = try await output(of: "/usr/bin/python3", ["-c", Self.slowBody, String(port), credentials.caFile, token])
                #expect(answer.hasPrefix(expected) && answer.contains("closed after"), "\(token.isEmpty ? "no token" : "admin"): \(answer)")
                let seconds = Int(answer.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").last ?? "") ?? 99
                #expect(seconds <= 10, "the connection was closed by the request deadline (3 s), not the client: \(answer)")
            }
            #expect(try await client.health().storeReachable, "the server still serves")
        }
    }

    /// Python: POSTs to /v1/apply over TLS (argv: port, CA file, token or "") with a body sent a
    /// byte every 100 ms; prints the status line and when the server closed the connection.
    static let slowBody = """
        import socket, ssl, sys, time
        port, ca, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        s = ssl.create_default_context(cafile=ca).wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
        head = "POST /v1/apply HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/json\\r\\nContent-Length: 1000\\r\\n"
        if token: head += "Authorization: Bearer " + token + "\\r\\n"
        s.sendall((head + "\\r\\n").encode())
        s.settimeout(0.1)
        start, data = time.time(), b""
        while time.time() - start < 60:
            try:
                s.sendall(b" ")
            except (OSError, ssl.SSLError):
                break
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
        print(data.split(b"\\r\\n")[0].decode(), "closed after", round(time.time() - start))
        """
}
