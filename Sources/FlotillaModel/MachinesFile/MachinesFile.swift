import Yams

/// YAML files describing a cluster for offline planning (see docs/machines-format.md):
/// `machines:` is a list of machines with metadata, capacity, reserved resources, the
/// instances they run, and `count: N` to describe N identical machines at once.
public enum MachinesFile {
    /// The top-level keys.
    static let topLevelKeys = ["version", "machines"]

    /// Parses a machines file; `file` is used in diagnostics. The result holds every machine
    /// in file order (`count` entries expanded), or none when any error was found.
    public static func parse(text: String, file: String) -> (machines: [MachineDescription], diagnostics: [Diagnostic]) {
        let reader = YAMLReader(file: file)
        var machines: [MachineDescription] = []
        if let root = YAMLDocument.compose(text, reader: reader),
           let entries = reader.entries(root, of: "the file", context: "at the top level", known: topLevelKeys) {
            if let version = entries.first(where: { $0.key == "version" }), let number = reader.integer(version.value, "version"), number != 1 {
                reader.error(version.value, "unsupported version \(number); this Flotilla reads version 1")
            }
            if let list = entries.first(where: { $0.key == "machines" }) {
                machines = MachineEntrySyntax(reader: reader).machines(list.value)
            } else {
                reader.error(root, "missing 'machines'; a machines file starts with 'machines:' followed by a list of machines")
            }
        }
        let diagnostics = reader.diagnostics
        return (diagnostics.hasErrors ? [] : machines, diagnostics)
    }

    /// Reads and parses the machines file at `path`; an unreadable file is one error.
    public static func load(path: String) -> (machines: [MachineDescription], diagnostics: [Diagnostic]) {
        guard let text = SpecLoader.read(path) else {
            return ([], [.error(SourceLocation(file: path, line: 1, column: 1), "cannot read file: \(SpecLoader.readError(path))")])
        }
        return parse(text: text, file: path)
    }
}
