import FlotillaNetwork
import FlotillaTesting
import Foundation
import Glibc
import Testing

/// `flotilla dev --machines 3 --netns examples/web.yaml`, as README shows it: the client on
/// machine 1 reaches the server on machine 3 by name (`flotilla logs client@1`), `status`
/// shows their addresses, and Ctrl-C removes every namespace and link the run made.
@Suite(.serialized, .enabled(if: TestBed.unavailableReason == nil, "\(TestBed.unavailableReason ?? "")"))
struct DevNetnsTests {
    @Test("flotilla dev --machines 3 --netns examples/web.yaml: the client reaches the server by name")
    func devOnNamespaces() async throws {
        let directory = NSTemporaryDirectory() + "flotilla-dev-netns-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let dev = Process()
        dev.executableURL = URL(fileURLWithPath: BuiltFlotilla.path)
        dev.arguments = ["dev", "--machines", "3", "--netns", root + "/examples/web.yaml", "--state-dir", directory + "/state", "--ttl", "2"]
        dev.environment = ProcessInfo.processInfo.environment.merging(["FLOTILLA_CONFIG": directory + "/client.yaml"]) { $1 }
        _ = FileManager.default.createFile(atPath: directory + "/dev.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/dev.log"))
        dev.standardOutput = log
        dev.standardError = log
        try dev.run()
        defer { if dev.isRunning { kill(dev.processIdentifier, SIGKILL); dev.waitUntilExit() } }
        let output = { (try? String(contentsOfFile: directory + "/dev.log", encoding: .utf8)) ?? "" }

        _ = try await bedEventually("flotilla dev saying where to look") {
            if !dev.isRunning { throw TestBedError("flotilla dev exited: \(output())") }
            return output().contains("Ctrl-C stops everything") ? true : nil
        }
        let namespace = try #require(output().split(separator: " ").first { $0.hasPrefix("fb") && $0.hasSuffix("h1") }.map(String.init))
        let status = try await bedEventually("web@1 and client@1 running with addresses") {
            let status = try BedAgents.cli(["status"], directory: directory).output
            let lines = status.split(separator: "\n").filter { ($0.hasPrefix("web@1") || $0.hasPrefix("client@1")) && $0.contains(" running ") }
            return lines.count == 2 && lines.allSatisfy { $0.contains(" 10.5.") } ? status : nil
        }
        #expect(status.contains("ADDRESS"))
        let reached = try await bedEventually("the client reaching the server by name") {
            let logs = try BedAgents.cli(["logs", "client@1"], directory: directory).output
            return logs.split(separator: "\n").first { $0.hasPrefix("reached web (10.5.") && $0.contains(": web@1 at 10.5.") }
        }
        let address = reached.split(separator: "(")[1].split(separator: ")")[0]
        #expect(reached.hasSuffix("web@1 at \(address)"), "the name resolved to the server's own address: \(reached)")
        #expect(!(try BedAgents.cli(["logs", "client@1"], directory: directory).output.contains("Traceback")))

        kill(dev.processIdentifier, SIGINT)
        for _ in 0..<300 where dev.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!dev.isRunning, "flotilla dev stops on Ctrl-C")
        #expect(output().contains("namespaces, links and rules removed"))
        let left = try IPRoute2.execute("ip", ["netns", "list"]).1
        #expect(!left.contains(String(namespace.dropLast(2))), "no namespace of the run is left: \(left)")
    }
}
