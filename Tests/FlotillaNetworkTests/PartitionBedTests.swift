import FlotillaEtcd
import FlotillaModel
import FlotillaNetwork
import FlotillaStore
import FlotillaTesting
import Foundation
import Glibc
import Testing

/// A partition in the test bed, with real agents on the overlay (vxlan, host-gw): the machine running an
/// exclusive unit and an instance on the overlay is cut off from the others (and from the
/// store, on host 1). It stops the exclusive unit itself before its lease can expire; the unit
/// then starts on the other machine, and the overlay instance runs there too, with an address
/// of that machine's subnet; after healing, the cut-off machine comes back, neither runs
/// twice (the exclusive unit at no moment sampled), and host 1 reaches the healed machine's
/// subnet again.
@Suite(.serialized, .enabled(if: TestBed.unavailableReason == nil, "\(TestBed.unavailableReason ?? "")"))
struct PartitionBedTests {
    @Test("a partitioned machine's exclusive unit is fenced and runs elsewhere; after healing it runs once", arguments: ["vxlan", "host-gw"])
    func partitionFencesAndHeals(backend: String) async throws {
        let directory = NSTemporaryDirectory() + "flotilla-partition-\(backend)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestBed.with(hosts: 3) { bed in
            let (_, store, subnets) = try await BedAgents.onOverlay(bed, directory: directory, backend: backend, network: "10.7.0.0/16")
            defer { Task { await store.close() } }
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
                  beside:
                    count: 1
                    network: overlay
                    placement: { machine_of: ["guarded@1"] }
                    units:
                      idle: { exec: [/bin/sleep, "\(Int(marker)! + 1)"], restart: always }
                """.write(toFile: spec, atomically: true, encoding: .utf8)
            let applied = try cli(["apply", "-f", spec, "--timeout", "30s"], directory: directory)
            #expect(applied.status == 0, "\(applied.output)")
            let first = try await bedEventually("the unit running") { try running(marker, bed).first }
            let cut = bed.hosts.first { $0.namespace == first }!
            let other = bed.hosts[cut.index == 2 ? 2 : 1]
            let before = try await bedEventually("beside@1's endpoint") { try await address(store, "beside@1") }
            #expect(subnets[cut.index - 1].contains(before), "beside@1 runs with guarded@1, at \(before)")

            var sampler = Sampler { try running(marker, bed) }
            try bed.partition([cut], from: bed.hosts.filter { $0 != cut })
            try await sampler.watch(until: { $0 == [other.namespace] })
            #expect(sampler.mostAtOnce == 1, "the unit ran twice at once: \(sampler.log)")
            #expect(try !running(marker, bed).contains(cut.namespace), "fenced on the cut-off machine")
            let moved = try await bedEventually("beside@1 running on the other machine") {
                try await address(store, "beside@1").flatMap { subnets[other.index - 1].contains($0) ? $0 : nil }
            }
            #expect(moved != before)

            try bed.heal()
            _ = try await bedEventually("the cut-off machine back") {
                let listed = try cli(["machines", "-o", "json"], directory: directory).output
                return listed.components(separatedBy: "\"alive\"").count - 1 == 3 ? listed : nil
            }
            let settle = ContinuousClock.now + .seconds(3)
            try await sampler.watch(until: { _ in ContinuousClock.now >= settle })
            #expect(sampler.mostAtOnce == 1, "the unit ran twice at once after healing: \(sampler.log)")
            #expect(try running(marker, bed) == [other.namespace], "it stays where it moved")
            let sideMarker = String(Int(marker)! + 1)
            _ = try await bedEventually("beside@1 only on the other machine") {
                let found = try runningAnywhere(sideMarker)
                return found == 1 ? true : nil
            }
            #expect(try await address(store, "beside@1") == moved)
            // Its bridge's address answers DNS over TCP: host 1's route to its subnet works again.
            #expect(try bed.run(bed.hosts[0], ["/usr/bin/python3", "-c",
                                               "import socket; socket.create_connection(('\(subnets[cut.index - 1].gateway)', 53), timeout=2)"]).status == 0,
                    "host 1 reaches the healed machine's subnet")
        }
    }

    /// The address of `instance`'s endpoint, if it has one.
    private func address(_ store: EtcdStore, _ instance: String) async throws -> IPv4Address? {
        let prefix = Bytes(utf8: "/flotilla/endpoints/")
        let found = try await store.range(.prefix(prefix)).kvs.first { $0.key.utf8String.hasSuffix("/" + instance) }
        return try found.map { try RecordCodec.decode(ServiceEndpoint.self, from: $0.value, key: $0.key.utf8String) }.flatMap { IPv4Address($0.address) }
    }

    /// How many processes `sleep <marker>` run, in any namespace.
    private func runningAnywhere(_ marker: String) throws -> Int {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.filter { pid in
            Int(pid) != nil && ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").replacingOccurrences(of: "\0", with: " ")
                .contains("sleep \(marker)")
        }.count
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

    private func cli(_ arguments: [String], directory: String) throws -> (status: Int32, output: String) {
        try BedAgents.cli(arguments, directory: directory)
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
