import Foundation
import Testing

@Suite("flotilla validate")
struct ValidateCommandTests {
    @Test func validFilesExitZero() throws {
        let result = try FlotillaBinary.run(["validate", "web.yaml", "memcached.1.service"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("valid: 2 files, stacks: web (3 instances), memcached.1.service (1 instance)"))
    }

    @Test func errorsArePrintedWithPositionAndExitOne() throws {
        let result = try FlotillaBinary.run(["validate", "broken.yaml", "typo.service"])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("broken.yaml:3:5: error: ") && $0.contains("did you mean 'count'?") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("broken.yaml:7:") && $0.contains("512 megabytes") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("typo.service:8:1: error: ") && $0.contains("did you mean 'MachineMetadata'?") }, "\(lines)")
        #expect(result.stderr.contains("error"))
    }

    @Test("a spec file over 8 MiB is refused by its size, before it is read")
    func oversizeFile() throws {
        let path = NSTemporaryDirectory() + "flotilla-big-\(UUID().uuidString.prefix(8)).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: UInt8(ascii: "#"), count: 50 << 20).write(to: URL(fileURLWithPath: path))
        let result = try FlotillaBinary.run(["validate", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("is 50 MiB, larger than the 8 MiB a spec file may be"), "\(result.stdout)\(result.stderr)")
    }

    @Test func jsonOutputForTools() throws {
        let result = try FlotillaBinary.run(["validate", "-o", "json", "broken.yaml"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        let first = try #require(diagnostics.first)
        #expect(first["file"] as? String == "broken.yaml")
        #expect(first["line"] as? Int == 3)
        #expect(first["column"] as? Int == 5)
        #expect(first["severity"] as? String == "error")
    }

    @Test func jsonOutputWhenValid() throws {
        let result = try FlotillaBinary.run(["validate", "-o", "json", "web.yaml"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == true)
        let stacks = try #require(object["stacks"] as? [[String: Any]])
        #expect(stacks.first?["name"] as? String == "web")
        #expect(stacks.first?["units"] as? [String] == ["server"])
    }

    @Test func missingFileIsAnError() throws {
        let result = try FlotillaBinary.run(["validate", "nowhere.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("nowhere.yaml:1:1: error: cannot read file: no such file"))
    }

    @Test func unknownFileTypeIsAnError() throws {
        let result = try FlotillaBinary.run(["validate", "machines.txt"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("unknown spec file type"))
    }
}
