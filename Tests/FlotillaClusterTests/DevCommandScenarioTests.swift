import FlotillaAPI
import Foundation
import Glibc
import Testing

extension ClusterScenarioTests {
    /// README's run command, `flotilla dev examples/hello.yaml --machines 3` (with ports and a
    /// state directory of the test's own): it prints where to look; `status` shows 3 running
    /// instances, `logs hello@1/greeter` a "hello from" line; SIGINT stops it and leaves no
    /// unit process behind.
    @Test("flotilla dev examples/hello.yaml --machines 3 brings up the cluster")
    func devCommandRunsTheExample() async throws {
        let directory = NSTemporaryDirectory() + "flotilla-cluster-dev-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let apiPort = try LoopbackPorts.freeRange(3), storePort = try LoopbackPorts.free()
        // The client config goes where FLOTILLA_CONFIG says; the CLI below finds the endpoint,
        // CA and token there, with no flags, as after README's command.
        let environment = ["FLOTILLA_CONFIG": directory + "/client.yaml"]
        let dev = try ChildProcess.spawn(FlotillaCLI.path, [
            "dev", "examples/hello.yaml", "--machines", "3", "--state-dir", directory + "/state",
            "--api-port", String(apiPort), "--store-port", String(storePort),
        ], logPath: directory + "/dev.log", environment: environment, directory: root)
        let machineIDs = {
            Set((1...3).compactMap { k in
                (try? String(contentsOfFile: "\(directory)/state/machine-\(k)/machine-id", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            })
        }
        let result = await Result {
            try await eventually("\"Look at it\" from flotilla dev", timeout: .seconds(60)) {
                if let code = dev.exitStatus { throw ClusterTestError("flotilla dev exited with \(code)") }
                return dev.log.contains("Look at it") ? true : nil
            }
            let machines = machineIDs()
            try #require(machines.count == 3, "three machine IDs in \(directory)/state")
            let endpoint = "https://127.0.0.1:\(apiPort)"
            #expect(dev.log.contains(directory + "/client.yaml") && dev.log.contains(endpoint), "it says where the client config is:\n\(dev.log)")

            // The example may still be starting: poll `flotilla status` until all 3 run.
            let status = try await eventually("3 running hello instances in flotilla status", timeout: .seconds(30), interval: .milliseconds(500)) {
                let status = try await FlotillaCLI.run(["status"], in: directory, environment: environment)
                let running = status.stdout.split(separator: "\n").filter { $0.hasPrefix("hello@") && $0.contains(" running") }
                return status.status == 0 && running.count == 6 ? status : nil // 3 instances × 2 units
            }
            // Tables name machines by a short ID and their `machine=K` label.
            #expect(Set(machines).allSatisfy { status.stdout.contains("\($0.prefix(8)) (machine=") }, "one instance per machine:\n\(status)")
            let logs = try await eventually("a hello line in flotilla logs", timeout: .seconds(10), interval: .milliseconds(500)) {
                let logs = try await FlotillaCLI.run(["logs", "hello@1/greeter"], in: directory, environment: environment)
                return logs.status == 0 && logs.stdout.contains("hello from hello@1 on machine") ? logs : nil
            }
            #expect(logs.stdout.contains("hello from"))

            dev.signal(SIGINT)
            let code = dev.waitForExit(timeout: .seconds(60))
            #expect(code == 0, "flotilla dev exits 0 after SIGINT:\n\(dev.logTail())")
            let left = UnitProcesses.find(machines: machines)
            #expect(left.isEmpty, "no unit process remains after SIGINT: \(left)")
        }
        dev.killAndReap()
        UnitProcesses.killAll(machines: machineIDs())
        for k in 1...3 { UnitProcesses.removeRecordedCgroups(stateDirectory: "\(directory)/state/machine-\(k)") }
        if case .failure = result { print("flotilla dev test failed; files kept in \(directory)\n\(dev.logTail(60))") }
        else { try? FileManager.default.removeItem(atPath: directory) }
        try result.get()
    }
}
