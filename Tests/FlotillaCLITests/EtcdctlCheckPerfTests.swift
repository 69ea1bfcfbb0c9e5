import Foundation
import Testing

/// `etcdctl check perf --load=m` (1,000 writes/s from 200 clients for 60 s; etcdctl itself
/// judges throughput, slowest request and stddev) against `flotilla store serve` on SQLite.
/// The figures are printed whether it passes or not.
@Suite(.enabled(if: toolsInstalled("etcdctl"), "needs etcdctl 3.4 (apt-get install etcd-client)"))
struct EtcdctlCheckPerfTests {
    @Test func checkPerfMediumLoadPasses() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-perf-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServeProcess(dataDirectory: directory)
        defer { _ = server.stop() }

        let result = try runToCompletion("/usr/bin/env", ["etcdctl", "--endpoints", "127.0.0.1:\(server.port)", "check", "perf", "--load=m"],
                                         environment: ["ETCDCTL_API": "3"])
        // The progress bar is one long line of carriage-return updates: keep the verdicts.
        let verdicts = (result.stdout + "\n" + result.stderr).split(whereSeparator: \.isNewline)
            .filter { !$0.contains("/ 60") }.joined(separator: "\n")
        print("etcdctl check perf --load=m against flotilla store serve (\(FlotillaBinary.url.path)):\n\(verdicts)")
        #expect(result.status == 0, "check perf failed:\n\(verdicts)")
        #expect(verdicts.contains("PASS: Throughput is"), "\(verdicts)")
        #expect(verdicts.contains("PASS: Slowest request took"), "\(verdicts)")
        #expect(verdicts.contains("PASS: Stddev is"), "\(verdicts)")
        #expect(!verdicts.contains("FAIL"), "\(verdicts)")
    }
}
