import Foundation
import Testing
@testable import FlotillaAgent

/// The machine ID: made once, from the OS's machine-id file when it holds one (Zincati's
/// FleetLock id is derived from it), kept across restarts, never silently changed.
@Suite("Machine identity")
struct MachineIdentityTests {
    func scratch() throws -> (directory: URL, osFile: String) {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory() + "flotilla-identity-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, directory.path + "/os-machine-id")
    }

    @Test("a new agent takes the OS's machine ID; a stored ID wins over it; --machine-id wins over both for a new agent")
    func osMachineID() throws {
        let (directory, osFile) = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "3d1219c7c4c5404aaa1f6d2a48adfda4\n".write(toFile: osFile, atomically: true, encoding: .utf8)
        let first = try MachineIdentity.load(stateDirectory: directory.appendingPathComponent("a"), osFile: osFile)
        #expect(first == "3d1219c7c4c5404aaa1f6d2a48adfda4")
        try "0123456789abcdef0123456789abcdef\n".write(toFile: osFile, atomically: true, encoding: .utf8)
        #expect(try MachineIdentity.load(stateDirectory: directory.appendingPathComponent("a"), osFile: osFile) == first, "the stored ID stays")
        #expect(try MachineIdentity.load(stateDirectory: directory.appendingPathComponent("b"), override: "web-1", osFile: osFile) == "web-1")
    }

    @Test("without a usable OS machine ID (missing, empty, 'uninitialized'), a new agent makes a random one")
    func randomWithoutOne() throws {
        let (directory, osFile) = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = try MachineIdentity.load(stateDirectory: directory.appendingPathComponent("a"), osFile: osFile)
        for text in ["", "uninitialized\n", "Not An ID\n"] {
            try text.write(toFile: osFile, atomically: true, encoding: .utf8)
            let made = try MachineIdentity.load(stateDirectory: directory.appendingPathComponent(UUID().uuidString), osFile: osFile)
            #expect(made.count == 32 && made != missing, "'\(text)' gave \(made)")
        }
        #expect(missing.count == 32 && missing.allSatisfy(\.isHexDigit))
    }
}
