import FlotillaNetwork
import FlotillaTesting
import Foundation
import Glibc
import Testing

/// A partition in the test bed, with real agents: the machine running an exclusive unit is cut
/// off from the others (and from the store, on host 1). It stops the unit itself before its
/// lease can expire; the unit then starts on the other machine; after healing, the cut-off
/// machine comes back and the unit does not run twice, at any moment sampled.
@Suite(.serialized, .enabled(if: TestBed.unavailableReason == nil, "\(TestBed.unavailableReason ?? "")"))
struct PartitionBedTests {
    @Test("a partitioned machine's exclusive unit is fenced and runs elsewhere; after healing it runs once")
    func partitionFencesAndHeals() async throws {
        let directory = NSTemporaryDirectory() + "flotilla-partition-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestBed.with(hosts: 3) { bed in
            _ = try await BedAgents.start(bed, directory: directory, ttl: 2, flags: Array(repeating: ["--no-overlay"], count: 3))
            // A sleep of a length no other process uses marks the unit's process.
            let marker = String(900_000 + Int.random(in: 0..<99_999))
            let spec = directory + "/guarded.yaml"
            try """
                stacks:
                  guarded:
                    count: 1
                    placement: { metadata: { machine: ["2", "3"] } }
                    units:
                      lock: { exec: [/bin/sleep, "\(marker)"], exclusive: true, restart: always, restart_sec: 100ms }
                """.write(toFile: spec, atomically: true, encoding: .utf8)
            let applied = try cli(["apply", "-f", spec, "--timeout", "30s"], directory: directory)
            #expect(applied.status == 0, "\(applied.output)")
            let first = try await bedEventually("the unit running") { try running(marker, bed).first }
            let cut = bed.hosts.first { $0.namespace == first }!
            let other = bed.hosts[cut.index == 2 ? 2 : 1]

            var sampler = Sampler { try running(marker, bed) }
            try bed.partition([cut], from: bed.hosts.filter { $0 != cut })
            try await sampler.watch(until: { $0 == [other.namespace] })
            #expect(sampler.mostAtOnce == 1, "the unit ran twice at once: \(sampler.log)")
            #expect(try !running(marker, bed).contains(cut.namespace), "fenced on the cut-off machine")

            try bed.heal()
            _ = try await bedEventually("the cut-off machine back") {
                let listed = try cli(["machines", "-o", "json"], directory: directory).output
                return listed.components(separatedBy: "\"alive\"").count - 1 == 3 ? listed : nil
            }
            let settle = ContinuousClock.now + .seconds(3)
            try await sampler.watch(until: { _ in ContinuousClock.now >= settle })
            #expect(sampler.mostAtOnce == 1, "the unit ran twice at once after healing: \(sampler.log)")
            #expect(try running(marker, bed) == [other.namespace], "it stays where it moved")
        }
    }

    /// The namespaces of the hosts running a process `sleep <marker>`.
    private func running(_ marker: String, _ bed: TestBed) throws -> [String] {
        var found: [String] = []
        for host in bed.hosts {
            let pids = try bed.run(host, ["/usr/sbin/ip", "netns", "pids", host.namespace]).output.split(whereSeparator: \.isWhitespace)
            // /proc is the same in every network namespace: the command line tells the marker.
            for pid in pids {
                let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
                if command.replacingOccurrences(of: "\0", with: " ").contains("sleep \(marker)") { found.append(host.namespace) }
            }
        }
        return found
    }

    /// Runs `flotilla ARGS` from the root namespace as the cluster's admin (agent 1's client config).
    private func cli(_ arguments: [String], directory: String) throws -> (status: Int32, output: String) {
        try IPRoute2.execute("/usr/bin/env", ["FLOTILLA_CONFIG=\(directory)/client.yaml", BuiltFlotilla.path] + arguments)
    }

    /// Samples where the unit runs every 50 ms and keeps the most copies seen at once.
    private struct Sampler {
        let sample: () throws -> [String]
        var mostAtOnce = 0
        var log: [String] = []

        /// Samples until `done` holds for a sample (at most 30 s).
        mutating func watch(until done: ([String]) -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let hosts = try sample()
                mostAtOnce = max(mostAtOnce, hosts.count)
                if log.last != hosts.joined(separator: ",") { log.append(hosts.joined(separator: ",")) }
                if done(hosts) { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw TestBedError("timed out; where the unit ran, in order: \(log)")
        }
    }
}
