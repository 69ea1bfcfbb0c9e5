import FlotillaModel
import Synchronization

/// Spec files held in memory: what the API server compiles from (bound as
/// ``SpecLoader/source``), so a client's files compile exactly as `flotilla validate` compiles
/// them on disk, and a path the client did not send is "no such file".
public struct SpecTexts: SpecSource {
    /// Text by path.
    public let files: [String: String]

    /// The texts of `files` (a later file with the same path wins).
    public init(_ files: [SpecText]) {
        self.files = Dictionary(files.map { ($0.path, $0.text) }, uniquingKeysWith: { _, last in last })
    }

    /// The text sent for `path`.
    public func text(atPath path: String) -> String? { files[path] }

    /// Always `no such file`: only sent files exist.
    public func problem(atPath path: String) -> String { "no such file" }
}

/// The files a set of spec paths needs, read from disk by the client: the named files and
/// every file their compilation reads (`unit: ./x.service`, `web@.service` for
/// `web@1.service`), in the order first read.
public struct SpecBundle: Sendable {
    /// Every file read, with its text.
    public var files: [SpecText]
    /// The paths to compile, as named.
    public var paths: [String]
    /// The local compilation's diagnostics (the server finds the same ones).
    public var diagnostics: [Diagnostic]
    /// The stacks the files define (empty when there are errors).
    public var stacks: [StackSpec]

    /// Compiles `paths` from `source` (the disk by default), recording every file read.
    public static func read(paths: [String], from source: any SpecSource = DiskSpecSource()) -> SpecBundle {
        let recorder = RecordingSource(base: source)
        let result = SpecLoader.$source.withValue(recorder) { SpecLoader.load(paths: paths) }
        return SpecBundle(files: recorder.recorded, paths: paths, diagnostics: result.diagnostics, stacks: result.stacks)
    }

    /// The apply request for these files.
    public func applyRequest(desired: DesiredState? = nil) -> ApplyRequest {
        ApplyRequest(files: files, paths: paths, desired: desired)
    }

    /// The plan request for these files.
    public var planRequest: PlanRequest { PlanRequest(files: files, paths: paths) }
}

/// Reads through another source and remembers every text it handed out.
private final class RecordingSource: SpecSource {
    private let base: any SpecSource
    private let texts = Mutex<[SpecText]>([])

    init(base: any SpecSource) { self.base = base }

    var recorded: [SpecText] { texts.withLock { $0 } }

    func text(atPath path: String) -> String? {
        guard let text = base.text(atPath: path) else { return nil }
        texts.withLock { list in
            if !list.contains(where: { $0.path == path }) { list.append(SpecText(path: path, text: text)) }
        }
        return text
    }

    func problem(atPath path: String) -> String { base.problem(atPath: path) }
}
