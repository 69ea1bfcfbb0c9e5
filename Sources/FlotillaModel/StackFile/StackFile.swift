/// YAML stack files (see docs/stack-format.md).
public enum StackFile {
    /// Parses a stack file; `file` is used in diagnostics and to resolve `unit: ./x.service`.
    public static func parse(text: String, file: String) -> SpecLoader.Result {
        SpecLoader.Result(stacks: [], diagnostics: [.error(SourceLocation(file: file, line: 1, column: 1), "stack files are not supported yet")])
    }
}
