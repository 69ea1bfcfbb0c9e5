import FlotillaAPI
import FlotillaSecurity
import Foundation
import Testing

extension ClusterScenarioTests {
    /// Issue 14, point 5: the FleetLock server answers requests made exactly as Zincati makes
    /// them (POST, `fleet-lock-protocol: true`, the JSON body, no Content-Type; the id is the
    /// app-specific machine ID): pre-reboot locks (and drains) the machine and is recursive,
    /// steady-state releases and uncordons and succeeds again; a second machine finds the one
    /// slot full; a machine with an instance gets `failed_lock_draining` until the instance
    /// runs elsewhere; a missing header, a bad body, a bad group, an empty id and an unknown id get
    /// their error kinds.
    @Test("FleetLock: Zincati's requests lock, repeat, release and release again; bad ones get their error kinds")
    func fleetLock() async throws {
        try await TestCluster.with(.embedded, agents: 0, name: "fleetlock") { cluster in
            let port = try LoopbackPorts.free()
            let ids = (0..<2).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }
            _ = try await cluster.addAgent(extraArguments: ["--fleetlock-listen", "127.0.0.1:\(port)"], machineID: ids[0])
            _ = try await cluster.addAgent(machineID: ids[1])
            try await cluster.waitForMachines(2)
            let client = try cluster.client()
            let zincati = ids.map { FleetLockIdentity.appSpecificID(machineID: $0)! }
            let base = "http://127.0.0.1:\(port)/"

            func body(_ id: String, _ group: String = "default") -> String { #"{"client_params":{"id":"\#(id)","group":"\#(group)"}}"# }
            let first = try await FleetLockCall.post(base + "v1/pre-reboot", body(zincati[0]), in: cluster.directory)
            #expect(first.status == 200, "\(first)")
            let again = try await FleetLockCall.post(base + "v1/pre-reboot", body(zincati[0]), in: cluster.directory)
            #expect(again.status == 200, "a lock is recursive: \(again)")
            #expect(try await client.machines().machines.first { $0.id == ids[0] }?.cordon == "draining", "the machine is drained")
            let full = try await FleetLockCall.post(base + "v1/pre-reboot", body(zincati[1]), in: cluster.directory)
            #expect(full.status == 409 && full.kind == "failed_lock_semaphore_full", "\(full)")
            let status = try await cluster.cli(["reboot", "status"])
            #expect(status.stdout.contains("1/1 slot held") && status.stdout.contains("fleetlock pre-reboot") && status.stdout.contains("waits"), "\(status)")

            let released = try await FleetLockCall.post(base + "v1/steady-state", body(zincati[0]), in: cluster.directory)
            #expect(released.status == 200, "\(released)")
            let releasedAgain = try await FleetLockCall.post(base + "v1/steady-state", body(zincati[0]), in: cluster.directory)
            #expect(releasedAgain.status == 200, "releasing is idempotent: \(releasedAgain)")
            #expect(try await client.machines().machines.allSatisfy { $0.cordon == nil }, "steady-state uncordons")
            #expect(try await client.rebootStatus(group: "default").groups.first?.holders.isEmpty == true)
            // The id may come with dashes, as a UUID.
            let dashed = zincati[1].enumerated().map { [8, 12, 16, 20].contains($0.offset) ? "-\($0.element)" : "\($0.element)" }.joined()
            let second = try await FleetLockCall.post(base + "v1/pre-reboot", body(dashed), in: cluster.directory)
            #expect(second.status == 200, "\(second)")
            #expect(try await FleetLockCall.post(base + "v1/steady-state", body(dashed), in: cluster.directory).status == 200)

            // A machine with an instance: pre-reboot answers 409 failed_lock_draining until
            // the instance runs on the other machine, then 200.
            let applied = try await cluster.cli(["apply", "-f", try cluster.write("one.yaml", """
                version: 1
                stacks:
                  one:
                    count: 1
                    units:
                      main: { exec: [/bin/sleep, "100000"] }
                """), "--timeout", "60s"])
            #expect(applied.status == 0, "\(applied)")
            let host = try #require(try await client.status(stack: "one").running(stack: "one")["one@1"])
            let hostID = zincati[ids.firstIndex(of: host)!]
            let draining = try await FleetLockCall.post(base + "v1/pre-reboot", body(hostID), in: cluster.directory)
            #expect(draining.status == 409 && draining.kind == "failed_lock_draining" && draining.body.contains("one"), "\(draining)")
            try await eventually("the drain done: pre-reboot answers 200", timeout: .seconds(30), interval: .milliseconds(300)) {
                try await FleetLockCall.post(base + "v1/pre-reboot", body(hostID), in: cluster.directory).status == 200 ? true : nil
            }
            let moved = try await client.status(stack: "one").running(stack: "one")
            #expect(moved["one@1"] != nil && moved["one@1"] != host, "the instance runs on the other machine before the reboot: \(moved)")
            #expect(try await FleetLockCall.post(base + "v1/steady-state", body(hostID), in: cluster.directory).status == 200)
            #expect(try await client.machines().machines.allSatisfy { $0.cordon == nil })

            let missing = try await FleetLockCall.post(base + "v1/pre-reboot", body(zincati[0]), in: cluster.directory, protocolHeader: false)
            #expect(missing.status == 400 && missing.kind == "missing_header", "\(missing)")
            let garbled = try await FleetLockCall.post(base + "v1/pre-reboot", #"{"client_params":{"id":"x"}}"#, in: cluster.directory)
            #expect(garbled.status == 400 && garbled.kind == "decode_error", "\(garbled)")
            let badGroup = try await FleetLockCall.post(base + "v1/pre-reboot", body(zincati[0], "a/b"), in: cluster.directory)
            #expect(badGroup.status == 400 && badGroup.kind == "invalid_group", "\(badGroup)")
            let emptyID = try await FleetLockCall.post(base + "v1/steady-state", body(""), in: cluster.directory)
            #expect(emptyID.status == 400 && emptyID.kind == "invalid_client_id", "\(emptyID)")
            let unknown = try await FleetLockCall.post(base + "v1/pre-reboot", body(UUID().uuidString.lowercased()), in: cluster.directory)
            #expect(unknown.status == 404 && unknown.kind == "unknown_client_id", "\(unknown)")
            let history = try await cluster.cli(["reboot", "history"])
            #expect(history.stdout.components(separatedBy: "reboot-released").count - 1 == 3, "\(history)")
        }
    }
}

/// One FleetLock request as Zincati sends it, made with curl (which sends no Content-Type
/// once told to drop its default one).
struct FleetLockCall: CustomStringConvertible {
    var status: Int
    var body: String

    /// The error kind in the body, if any.
    var kind: String? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["kind"] as? String
    }

    var description: String { "HTTP \(status) \(body)" }

    static func post(_ url: String, _ body: String, in directory: String, protocolHeader: Bool = true) async throws -> FleetLockCall {
        var arguments = ["-s", "-X", "POST", "-H", "Content-Type:", "--data-binary", body, "-w", "\n%{http_code}", url]
        if protocolHeader { arguments.insert(contentsOf: ["-H", "fleet-lock-protocol: true"], at: 0) }
        let output = "\(directory)/curl-\(UUID().uuidString.prefix(8)).out"
        let process = try ChildProcess.spawn("/usr/bin/curl", arguments, logPath: output)
        guard process.waitForExit(timeout: .seconds(60)) == 0 else { throw ClusterTestError("curl \(url) failed: \(process.logTail())") }
        let result = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let lines = result.split(separator: "\n", omittingEmptySubsequences: false)
        return FleetLockCall(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
    }
}
