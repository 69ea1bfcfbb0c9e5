import FlotillaModel
import FlotillaStore
import Foundation
import Testing

/// One stack `web` of one instance with one unit `main`.
let webStack = """
    stacks:
      web:
        count: 1
        units:
          main:
            exec: [/bin/sleep, "1000"]
            resources: { cpu: 100m, memory: 64Mi }
    """

@Suite("apply against the API (real binary)")
struct ApplyCommandTests {
    @Test("apply waits for the controller's decision, then until the unit runs, printing each change, and exits 0 as soon as the status is written (watch, not poll)")
    func runsThenExitsZero() async throws {
        try await APIFixture.with { api in
            let path = try api.file("web.yaml", webStack)
            async let result = api.run(["apply", "-f", path, "--timeout", "60"])
            _ = try await api.waitForStack("web")
            try await Task.sleep(for: .milliseconds(400))
            let token = try await api.assignWhenApplied("web@1", stack: "web")
            try await Task.sleep(for: .milliseconds(400))
            try await api.status("web@1", "main", .starting, token: token)
            try await Task.sleep(for: .milliseconds(400))
            try await api.status("web@1", "main", .running, token: token)
            let written = ContinuousClock.now
            let finished = try await result
            // The waiter's long-poll answers when the status is written; it has no timer of its own.
            #expect(ContinuousClock.now - written < .seconds(5))
            #expect(finished.status == 0, "\(finished.stdout)\n\(finished.stderr)")
            #expect(finished.stdout.contains("applied web at revision"))
            #expect(finished.stdout.contains("web: waiting for the controller to decide about spec revision"))
            #expect(finished.stdout.contains("web@1 on m1: "))
            #expect(finished.stdout.contains("→ running"))
            #expect(finished.stdout.contains("all 1 instance running: web@1 on m1"))
        }
    }

    @Test("a unit that fails to start ends apply with exit 1, its exit code, last error and last 10 log lines")
    func failedUnitExitsOne() async throws {
        try await APIFixture.with { api in
            let path = try api.file("web.yaml", webStack)
            async let result = api.run(["apply", "-f", path, "--timeout", "60"])
            let token = try await api.assignWhenApplied("web@1", stack: "web")
            try FileManager.default.createDirectory(atPath: api.journal, withIntermediateDirectories: true)
            let lines = (1...12).map { "log line \($0)" }.joined(separator: "\n") + "\n"
            try lines.write(toFile: api.journal + "/web@1+main.log", atomically: true, encoding: .utf8)
            try await api.status("web@1", "main", .failed, token: token, exitCode: 3, lastError: "main process exited with code 3")
            let finished = try await result
            #expect(finished.status == 1, "\(finished.stdout)\n\(finished.stderr)")
            #expect(finished.stderr.contains("web@1/main on m1 failed to start: exit code 3"))
            #expect(finished.stderr.contains("last error: main process exited with code 3"))
            #expect(finished.stderr.contains("log line 3\n"))
            #expect(finished.stderr.contains("log line 12"))
            #expect(!finished.stderr.contains("log line 2\n"))
        }
    }

    @Test("a crash loop (3 restarts) counts as a failure")
    func crashLoopExitsOne() async throws {
        try await APIFixture.with { api in
            let path = try api.file("web.yaml", webStack)
            async let result = api.run(["apply", "-f", path, "--timeout", "60"])
            let token = try await api.assignWhenApplied("web@1", stack: "web")
            try await api.status("web@1", "main", .restarting, token: token, exitCode: 1, restarts: 3)
            let finished = try await result
            #expect(finished.status == 1, "\(finished.stdout)\n\(finished.stderr)")
            #expect(finished.stderr.contains("web@1/main on m1 is crash-looping: exit code 1 after 3 restarts"))
        }
    }

    @Test("an unplaced instance in the controller's decision ends apply with exit 2 and the controller's reason")
    func unplacedExitsTwo() async throws {
        try await APIFixture.with { api in
            let path = try api.file("web.yaml", webStack)
            async let result = api.run(["apply", "-f", path, "--timeout", "60"])
            try await api.decideUnplaced("web@1", stack: "web",
                                         explanation: "0/1 machines fit web@1: 1 memory exhausted (needs 64Mi, most free 0)")
            let finished = try await result
            #expect(finished.status == 2, "\(finished.stdout)\n\(finished.stderr)")
            #expect(finished.stdout.contains("web@1: unplaced"))
            #expect(finished.stderr.contains("1 instance unplaced:"))
            #expect(finished.stderr.contains("web@1: 0/1 machines fit web@1: 1 memory exhausted"))
        }
    }

    @Test("an invalid file is rejected with FILE:LINE:COL, nothing is stored, exit 1")
    func invalidFileExitsOne() async throws {
        try await APIFixture.with { api in
            let path = try api.file("bad.yaml", "stacks:\n  web:\n    cuont: 3\n    units:\n      main: { exec: [/bin/true] }\n")
            let finished = try await api.run(["apply", "-f", path])
            #expect(finished.status == 1)
            #expect(finished.stderr.contains("\(path):3:5: error: unknown key 'cuont'"))
            #expect(finished.stderr.contains("nothing was stored"))
            #expect(try await api.store.range(.prefix(Bytes(utf8: api.layout.stacks))).kvs.isEmpty)
        }
    }

    @Test("with no controller, apply times out with exit 1 and says nobody leads the cluster")
    func timeoutSaysWhy() async throws {
        try await APIFixture.with { api in
            let path = try api.file("web.yaml", webStack)
            let finished = try await api.run(["apply", "-f", path, "--timeout", "2"])
            #expect(finished.status == 1, "\(finished.stdout)\n\(finished.stderr)")
            #expect(finished.stderr.contains("timed out after 2s; the controller has not decided about web yet"))
            #expect(finished.stderr.contains("web: waiting for the controller"))
            #expect(finished.stderr.contains("(no controller leads the cluster"))
        }
    }

    @Test("--detach returns once stored; a missing agent is reported with --endpoint and FLOTILLA_ENDPOINT")
    func detachAndUnreachable() async throws {
        try await APIFixture.with { api in
            let path = try api.file("web.yaml", webStack)
            let detached = try await api.run(["apply", "-f", path, "--detach"])
            #expect(detached.status == 0 && detached.stdout.contains("applied web at revision"))
            let refused = try await BinaryRun.run(["apply", "-f", path, "--endpoint", "https://127.0.0.1:1"], environment: api.credentials.environment)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("cannot reach the Flotilla API at https://127.0.0.1:1"))
            #expect(refused.stderr.contains("FLOTILLA_ENDPOINT"))
        }
    }
}
