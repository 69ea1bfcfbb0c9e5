import FlotillaModel

/// Spec files sent to the API, compiled exactly as `flotilla validate` compiles them on disk.
struct SpecCompilation {
    /// The stacks, in file order (none when there are errors).
    var stacks: [StackSpec]
    /// Every diagnostic, sorted by location.
    var diagnostics: [Diagnostic]
    /// The texts sent, by path.
    var texts: SpecTexts

    /// Compiles `paths` (default: every file) from `files`. Throws a 400 listing every
    /// diagnostic when any is an error, or when the files define no stack.
    static func compile(files: [SpecText], paths: [String]?, verb: String) throws -> SpecCompilation {
        guard !files.isEmpty else {
            throw APIError.badRequest("send at least one spec file: {\"files\": [{\"path\": \"web.yaml\", \"text\": \"…\"}]}")
        }
        var seen: [String: String] = [:]
        for file in files {
            if let text = seen[file.path], text != file.text {
                throw APIError.badRequest("the file \(file.path) was sent twice with different texts; send each path once")
            }
            seen[file.path] = file.text
        }
        let texts = SpecTexts(files)
        let names = paths ?? files.map(\.path)
        let result = SpecLoader.$source.withValue(texts) { SpecLoader.load(paths: names) }
        let diagnostics = result.diagnostics.sortedByLocation()
        let errors = diagnostics.filter { $0.severity == .error }.count
        if errors > 0 {
            let list = diagnostics.filter { $0.severity == .error }.prefix(3).map(\.description).joined(separator: "; ")
            throw APIError.badRequest(
                "\(errors) error\(errors == 1 ? "" : "s") in the spec files, nothing was \(verb): \(list)\(errors > 3 ? "; …" : ""). Fix every error (flotilla validate FILE lists them) and try again",
                diagnostics: diagnostics)
        }
        guard !result.stacks.isEmpty else {
            throw APIError.badRequest("the files define no stack, nothing was \(verb); a template such as web@.service runs only through instances: name web@1.service instead")
        }
        return SpecCompilation(stacks: result.stacks, diagnostics: diagnostics, texts: texts)
    }

    /// The record to store for `stack`.
    func record(for stack: StackSpec, desired: DesiredState) -> StackRecord {
        let source = stack.location?.file
        let unitFileText = stack.naming == .single ? source.flatMap { texts.text(atPath: $0) } : nil
        return StackRecord(spec: stack, desired: desired, sources: source.map { [$0] } ?? [], unitFileText: unitFileText)
    }
}
