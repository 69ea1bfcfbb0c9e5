import Foundation
import Testing

extension ClusterScenarioTests {
    /// `GET /metrics` on a running agent: Prometheus' own parser (`promtool check metrics`)
    /// accepts it, the families of issue 10 are there, and they move when the cluster works.
    @Test("/metrics is valid Prometheus text and moves with the cluster",
          .enabled(if: FileManager.default.isExecutableFile(atPath: Metrics.promtool), "needs promtool (apt-get install prometheus)"))
    func metricsExposition() async throws {
        // Two agents: the second reaches the first one's embedded store over the etcd API
        // (store RPCs, watch streams); the first is scraped.
        try await TestCluster.with(.embedded, agents: 2, name: "metrics") { cluster in
            let agent = cluster.agents[0]
            let before = try Metrics.parse(try Metrics.scrape(agent.api, cluster: cluster))
            let spec = try cluster.write("metrics.yaml", """
                stacks:
                  steady:
                    global: true
                    units:
                      idle: { exec: [/bin/sleep, "1000"] }
                  flaky:
                    global: true
                    units:
                      boom: { exec: [/bin/sh, -c, "exit 3"], restart: always, restart_sec: 100ms }
                """)
            let applied = try await cluster.cli(["apply", "-f", spec, "--timeout", "20s"])
            #expect(applied.status == 1, "the crash-looping unit fails the apply: \(applied)")
            _ = try await cluster.cli(["status"])
            let text = try Metrics.scrape(agent.api, cluster: cluster)
            let check = try Metrics.promtoolCheck(text)
            // 0: clean; 3: only lint remarks (swift-metrics has no help texts). 1 is a parse error.
            #expect(check.status == 0 || check.status == 3, "promtool check metrics: \(check.output)\n\(text)")
            #expect(!check.output.contains("error while linting"), "\(check.output)")
            let after = try Metrics.parse(text)
            for family in ["flotilla_store_requests_total", "flotilla_reconcile_passes_total", "flotilla_placements_total",
                           "flotilla_unit_starts_total", "flotilla_unit_restarts_total", "flotilla_lease_renewals_total",
                           "hb_requests"] {
                #expect(after.total(family) > before.total(family), "\(family) moved: \(before.total(family)) → \(after.total(family))")
            }
            for family in ["flotilla_unit_failures_total", "flotilla_lease_misses_total", "flotilla_fence_events_total",
                           "flotilla_unplaced_instances", "flotilla_store_watch_streams",
                           "flotilla_reconcile_duration_seconds", "http_server_request_duration"] {
                #expect(after.families.contains(family), "\(family) is exposed:\n\(text)")
            }
            #expect(after.samples.contains { $0.name == "hb_requests" && $0.labels.contains("http_route=\"/v1/apply\"")
                        && $0.labels.contains("http_response_status_code=\"200\"") }, "API requests by route and status:\n\(text)")
        }
    }
}

/// Scraping and reading the Prometheus text format in tests.
enum Metrics {
    static let promtool = "/usr/bin/promtool"

    /// One sample line: `name{labels} value`.
    struct Sample {
        var name: String
        var labels: String
        var value: Double
    }

    /// The samples and the families declared by `# TYPE`.
    struct Exposition {
        var samples: [Sample]
        var families: Set<String>

        /// The sum of every sample of `name` (all label sets).
        func total(_ name: String) -> Double { samples.filter { $0.name == name }.reduce(0) { $0 + $1.value } }
    }

    /// `GET <api>/metrics` with curl, trusting the cluster CA and sending the admin token (as a
    /// Prometheus scrape job with `tls_config.ca_file` and `authorization` would).
    static func scrape(_ api: String, cluster: TestCluster) throws -> String {
        let state = cluster.agents[0].stateDirectory
        let token = try String(contentsOfFile: state + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try runTool("/usr/bin/curl", ["-sSf", "--cacert", state + "/tls/ca.crt", "-H", "Authorization: Bearer \(token)", "\(api)/metrics"])
        guard result.status == 0 else { throw ClusterTestError("curl \(api)/metrics failed: \(result.output)") }
        return result.output
    }

    /// `promtool check metrics` over `text`.
    static func promtoolCheck(_ text: String) throws -> (status: Int32, output: String) {
        try runTool(promtool, ["check", "metrics"], input: text)
    }

    /// Reads sample lines (names, label text, values) and `# TYPE` declarations; promtool
    /// has judged the syntax.
    static func parse(_ text: String) throws -> Exposition {
        var samples: [Sample] = []
        var families: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                families.insert(String(line.split(separator: " ")[2]))
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw ClusterTestError("not a sample line: \(line)")
            }
            let head = line[..<space]
            let name = head.firstIndex(of: "{").map { String(head[..<$0]) } ?? String(head)
            samples.append(Sample(name: name, labels: String(head.dropFirst(name.count)), value: value))
        }
        return Exposition(samples: samples, families: families)
    }
}
