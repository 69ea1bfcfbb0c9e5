import FlotillaStore
import FlotillaTesting
import Foundation
import Testing

/// A path no route serves, and a method a path does not serve, get the API's JSON error.
@Suite("API: unknown paths and wrong methods")
struct APIUnroutedTests {
    @Test("an unknown path answers 404 with a JSON error")
    func unknownPath() async throws {
        try await withSecuredAPIServer(store: InMemoryStore()) { _, port, credentials in
            let answer = try await curl("GET", "https://127.0.0.1:\(port)/v1/nope", credentials)
            #expect(answer.hasPrefix("HTTP/1.1 404"), "\(answer)")
            #expect(answer.contains(#"{"error":"no route serves GET /v1/nope"#), "\(answer)")
            #expect(answer.lowercased().contains("content-type: application/json"), "\(answer)")
        }
    }

    @Test("a wrong method on a known path answers 405 with Allow and a JSON error")
    func wrongMethod() async throws {
        try await withSecuredAPIServer(store: InMemoryStore()) { _, port, credentials in
            let answer = try await curl("POST", "https://127.0.0.1:\(port)/v1/status", credentials)
            #expect(answer.hasPrefix("HTTP/1.1 405"), "\(answer)")
            #expect(answer.lowercased().contains("allow: get"), "\(answer)")
            #expect(answer.contains(#"{"error":"POST is not allowed on /v1/status; use GET"#), "\(answer)")
            let stack = try await curl("GET", "https://127.0.0.1:\(port)/v1/stacks/web", credentials)
            #expect(stack.hasPrefix("HTTP/1.1 405"), "\(stack)")
            #expect(stack.contains("use DELETE"), "\(stack)")
        }
    }
}
