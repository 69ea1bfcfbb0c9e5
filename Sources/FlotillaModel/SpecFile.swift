import Foundation

/// Reads spec files of both formats and compiles them to stacks, collecting every diagnostic.
/// Nothing is partially returned: callers must treat any error diagnostic as "nothing usable".
public enum SpecLoader {
    /// The result of loading one or more spec files.
    public struct Result: Sendable {
        /// Every stack defined by the files, in file order.
        public var stacks: [StackSpec]
        /// Every problem found, errors and warnings.
        public var diagnostics: [Diagnostic]
    }

    /// Loads `paths`: `.yaml`/`.yml` files are stack files, `.service`/`.timer` files are fleet
    /// units. A path `name@N.service` that does not exist is instantiated from `name@.service`
    /// in the same directory, as fleetctl did. Stack names must be unique across all files.
    public static func load(paths: [String]) -> Result {
        var stacks: [StackSpec] = []
        var diagnostics: [Diagnostic] = []
        var seen: [String: SourceLocation] = [:]
        for path in paths {
            let loaded = loadOne(path: path)
            diagnostics += loaded.diagnostics
            for stack in loaded.stacks {
                let here = stack.location ?? SourceLocation(file: path, line: 1, column: 1)
                if let first = seen[stack.name] {
                    diagnostics.append(.error(here, "stack '\(stack.name)' is already defined at \(first)"))
                    continue
                }
                seen[stack.name] = here
                stacks.append(stack)
            }
        }
        return Result(stacks: stacks, diagnostics: diagnostics)
    }

    private static func loadOne(path: String) -> Result {
        let start = SourceLocation(file: path, line: 1, column: 1)
        let lower = path.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            guard let text = read(path) else {
                return Result(stacks: [], diagnostics: [.error(start, "cannot read file: \(readError(path))")])
            }
            return StackFile.parse(text: text, file: path)
        }
        if lower.hasSuffix(".service") || lower.hasSuffix(".timer") {
            return FleetUnitFile.load(path: path)
        }
        return Result(stacks: [], diagnostics: [.error(start, "unknown spec file type; expected .yaml/.yml (stacks) or .service/.timer (fleet units)")])
    }

    /// Where spec files are read from while bound with `SpecLoader.$source.withValue(…)`: the
    /// API server binds the texts a client sent, so they compile exactly as files on disk do.
    /// nil (the default) reads the disk.
    @TaskLocal public static var source: (any SpecSource)? = nil

    static func read(_ path: String) -> String? {
        (source ?? DiskSpecSource()).text(atPath: path)
    }

    static func readError(_ path: String) -> String {
        (source ?? DiskSpecSource()).problem(atPath: path)
    }
}

/// A place spec files are read from (see ``SpecLoader/source``).
public protocol SpecSource: Sendable {
    /// The UTF-8 text of `path`, or nil when it cannot be read.
    func text(atPath path: String) -> String?
    /// Why `path` cannot be read: `no such file`, `is a directory`, `permission denied` or
    /// `not valid UTF-8 text`.
    func problem(atPath path: String) -> String
}

/// Spec files on the local disk: the default ``SpecSource``.
public struct DiskSpecSource: SpecSource {
    /// The largest spec file read (the API takes at most 8 MiB per request anyway); of a
    /// larger one no more than this is read, and nothing is parsed.
    public static let maxBytes = 8 << 20

    /// The local disk.
    public init() {}

    /// The file's text, or nil when it is missing, unreadable, too large or not UTF-8.
    public func text(atPath path: String) -> String? {
        guard let data = read(path), data.count <= Self.maxBytes else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// At most one byte more than ``maxBytes`` of the file (also through a symlink, a pipe or
    /// a device, whose size says nothing), or nil when it cannot be opened.
    private func read(_ path: String) -> Data? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        do { return try handle.read(upToCount: Self.maxBytes + 1) ?? Data() } catch { return nil }
    }

    /// Why the file cannot be read.
    public func problem(atPath path: String) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return "no such file" }
        if isDirectory.boolValue { return "is a directory" }
        guard let data = read(path) else { return "permission denied" }
        if data.count > Self.maxBytes {
            let bytes = size(path)
            let shown = bytes > Self.maxBytes ? "is \(bytes >> 20) MiB, larger than" : "is larger than"
            return "\(shown) the \(Self.maxBytes >> 20) MiB a spec file may be; split it into several files"
        }
        return "not valid UTF-8 text"
    }

    /// The size of the file `path` names, through symlinks (0 when unknown).
    private func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: (path as NSString).resolvingSymlinksInPath))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
