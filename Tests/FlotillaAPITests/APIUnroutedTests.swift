import FlotillaStore
import Foundation
import Testing

/// A path no route serves, and a method a path does not serve, get the API's JSON error.
@Suite("API: unknown paths and wrong methods")
struct APIUnroutedTests {
    /// `curl -si -X METHOD URL`: the status line, headers and body. Waits without blocking a
    /// thread: the server under test answers on the same cooperative pool.
    private func curl(_ method: String, _ url: String) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-si", "-m", "20", "-X", method, url]
        let output = Pipe()
        process.standardOutput = output
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in done.resume() }
            do { try process.run() } catch { done.resume(throwing: error) }
        }
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test("an unknown path answers 404 with a JSON error")
    func unknownPath() async throws {
        try await withAPIServer(store: InMemoryStore()) { _, port in
            let answer = try await curl("GET", "http://127.0.0.1:\(port)/v1/nope")
            #expect(answer.hasPrefix("HTTP/1.1 404"), "\(answer)")
            #expect(answer.contains(#"{"error":"no route serves GET /v1/nope"#), "\(answer)")
            #expect(answer.lowercased().contains("content-type: application/json"), "\(answer)")
        }
    }

    @Test("a wrong method on a known path answers 405 with Allow and a JSON error")
    func wrongMethod() async throws {
        try await withAPIServer(store: InMemoryStore()) { _, port in
            let answer = try await curl("POST", "http://127.0.0.1:\(port)/v1/status")
            #expect(answer.hasPrefix("HTTP/1.1 405"), "\(answer)")
            #expect(answer.lowercased().contains("allow: get"), "\(answer)")
            #expect(answer.contains(#"{"error":"POST is not allowed on /v1/status; use GET"#), "\(answer)")
            let stack = try await curl("GET", "http://127.0.0.1:\(port)/v1/stacks/web")
            #expect(stack.hasPrefix("HTTP/1.1 405"), "\(stack)")
            #expect(stack.contains("use DELETE"), "\(stack)")
        }
    }
}
