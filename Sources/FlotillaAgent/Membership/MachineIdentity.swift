import Foundation

/// The machine's persisted ID: 32 lowercase hex digits in `<state>/machine-id`, made once
/// (like systemd's /etc/machine-id) and kept across agent restarts.
public enum MachineIdentity {
    /// Reads the ID from `stateDirectory`, creating the directory and the ID when missing.
    /// An explicit `override` is written there instead when no ID exists yet; when one exists
    /// and differs, it is an error (a machine does not change identity silently). Without
    /// an override, a new ID is the one in `osFile` (the OS's `/etc/machine-id`) when that
    /// holds a valid ID, else a random one; a stored ID always wins over `osFile`.
    public static func load(stateDirectory: URL, override: String? = nil, osFile: String? = nil) throws -> String {
        let file = stateDirectory.appendingPathComponent("machine-id")
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        if let data = FileManager.default.contents(atPath: file.path) {
            let stored = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard isValid(stored) else {
                throw AgentError("\(file.path) holds \"\(stored)\", not a machine ID; remove the file to make a new one")
            }
            if let override, override != stored {
                throw AgentError("--machine-id \(override) differs from \(stored) stored in \(file.path); remove that file to change the ID")
            }
            return stored
        }
        let id = override ?? osFile.flatMap(osMachineID) ?? fresh()
        guard isValid(id) else {
            throw AgentError("machine ID \"\(id)\" is invalid: use 1 to 64 characters of a-z, 0-9, '-' or '_', not starting with '-'")
        }
        try Data((id + "\n").utf8).write(to: file, options: .atomic)
        return id
    }

    /// The ID in the OS's machine-id file (trimmed), when the file exists and holds a valid one.
    static func osMachineID(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return isValid(text) && text != "uninitialized" ? text : nil
    }

    /// A new random ID: 32 lowercase hex digits.
    public static func fresh() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined()
    }

    /// True for 1–64 characters of `a-z 0-9 - _` (they appear in store keys and paths).
    public static func isValid(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && !id.hasPrefix("-")
            && id.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }
}

/// An agent failure with a sentence that says what to do.
public struct AgentError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public var description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
