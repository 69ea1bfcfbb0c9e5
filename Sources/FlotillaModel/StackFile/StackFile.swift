import Yams

/// YAML stack files (see docs/stack-format.md): named stacks of units with a count or
/// `global`, spreading and placement rules. Validation is strict and complete: every problem
/// is reported with its line and column, and a file with any error yields no stacks.
public enum StackFile {
    /// The top-level keys.
    static let topLevelKeys = ["version", "stacks"]

    /// Parses a stack file; `file` is used in diagnostics and to resolve `unit: ./x.service`
    /// (relative to the directory of `file`). The result holds every stack in file order, or
    /// no stack at all when any error was found.
    public static func parse(text: String, file: String) -> SpecLoader.Result {
        let reader = YAMLReader(file: file)
        var stacks: [StackSpec] = []
        if let root = YAMLDocument.compose(text, reader: reader),
           let entries = reader.entries(root, of: "the file", context: "at the top level", known: topLevelKeys) {
            if let version = entries.first(where: { $0.key == "version" }), let number = reader.integer(version.value, "version"), number != 1 {
                reader.error(version.value, "unsupported version \(number); this Flotilla reads version 1")
            }
            if let stacksEntry = entries.first(where: { $0.key == "stacks" }) {
                stacks = compileStacks(stacksEntry, reader: reader, baseDirectory: UnitReuse.directory(of: file))
            } else {
                reader.error(root, "missing 'stacks'; a stack file starts with 'stacks:' followed by named stacks")
            }
        }
        let diagnostics = reader.diagnostics
        return SpecLoader.Result(stacks: diagnostics.hasErrors ? [] : stacks, diagnostics: diagnostics)
    }

    private static func compileStacks(_ entry: YAMLReader.Entry, reader: YAMLReader, baseDirectory: String) -> [StackSpec] {
        guard let entries = reader.entries(entry.value, of: "stacks", context: "in stacks") else { return [] }
        if entries.isEmpty { reader.error(entry.value, "'stacks' is empty; define at least one stack") }
        let compiler = StackCompiler(reader: reader, baseDirectory: baseDirectory)
        return entries.compactMap { compiler.compile(name: $0.key, keyNode: $0.keyNode, value: $0.value) }
    }
}
