import Yams

/// Compiles one entry of a stack's `units:` mapping to a ``UnitSpec``.
struct UnitCompiler {
    /// Keys that describe the process; written in the fleet unit file when `unit:` is used.
    static let processKeys = ["exec", "type", "restart", "restart_sec", "stop_timeout", "env", "user",
                              "working_dir", "schedule", "description"]
    /// Keys that may be combined with `unit:`.
    static let sharedKeys = ["unit", "resources", "env_from", "after", "health", "exclusive", "ports"]
    /// Every key a unit may have.
    static let knownKeys = processKeys + sharedKeys

    /// Where problems go.
    let reader: YAMLReader
    /// The stack the unit belongs to.
    let stackName: String
    /// The directory of the stack file, for `unit:` paths.
    let baseDirectory: String

    /// The unit as far as it could be read (all problems reported); nil only when the value
    /// is not a mapping. Callers check the reader for errors before using it.
    func compile(name: String, keyNode: Node, value: Node) -> CompiledUnit? {
        if let problem = NameRules.unitNameProblem(name) { reader.error(keyNode, problem) }
        let context = "in unit '\(name)' of stack '\(stackName)'"
        guard let entries = reader.entries(value, of: name, context: context, known: Self.knownKeys) else { return nil }
        var byKey: [String: YAMLReader.Entry] = [:]
        for entry in entries where byKey[entry.key] == nil { byKey[entry.key] = entry }

        var unit = CompiledUnit(spec: UnitSpec(name: name), keyNode: keyNode)
        switch (byKey["exec"], byKey["unit"]) {
        case (nil, nil):
            reader.error(keyNode, "unit '\(name)' of stack '\(stackName)' needs 'exec' (a command) or 'unit' (a fleet unit file)")
        case (.some, .some(let reuse)):
            reader.error(reuse.keyNode, "unit '\(name)' sets both 'exec' and 'unit'; use one of them")
        case (nil, .some(let reuse)):
            for entry in entries where Self.processKeys.contains(entry.key) {
                reader.error(entry.keyNode, "'\(entry.key)' cannot be used with 'unit:'; set it in the unit file instead")
            }
            if let reused = UnitReuse(reader: reader, baseDirectory: baseDirectory).load(reuse.value, unitName: name) {
                unit.spec = reused.unit
                unit.spec.name = name
                unit.spec.after = []
                unit.placement = reused.placement
                unit.reuseNode = reuse.value
            }
        case (.some, nil):
            unit.spec.restart = .onFailure
            applyProcessKeys(entries, to: &unit.spec)
        }
        applySharedKeys(entries, to: &unit)
        unit.spec.location = reader.location(keyNode)
        return unit
    }

    private func applyProcessKeys(_ entries: [YAMLReader.Entry], to spec: inout UnitSpec) {
        var typeWritten = false
        for entry in entries {
            let value = entry.value
            switch entry.key {
            case "exec":
                if let words = reader.command(value, "exec") { spec.execStart = [ExecCommand(arguments: words, verbatim: true)] }
            case "type":
                typeWritten = true
                if let text = reader.string(value, "type") {
                    if let type = ServiceType(rawValue: text) { spec.type = type } else {
                        let names = ServiceType.allCases.map(\.rawValue)
                        reader.error(value, "invalid type '\(text)'; expected one of \(names.joined(separator: ", "))\(Suggestion.hint(for: text, among: names))")
                    }
                }
            case "restart":
                if let text = reader.string(value, "restart") {
                    if let policy = RestartPolicy(rawValue: text) { spec.restart = policy } else {
                        let names = RestartPolicy.allCases.map(\.rawValue)
                        reader.error(value, "invalid restart '\(text)'; expected one of \(names.joined(separator: ", "))\(Suggestion.hint(for: text, among: names))")
                    }
                }
            case "restart_sec": if let seconds = reader.duration(value, "restart_sec") { spec.restartSec = seconds }
            case "stop_timeout": if let seconds = reader.duration(value, "stop_timeout") { spec.timeoutStopSec = seconds }
            case "env": spec.environment = environment(value)
            case "user": spec.user = reader.string(value, "user")
            case "description": spec.description = reader.string(value, "description")
            case "working_dir":
                if let path = reader.string(value, "working_dir") {
                    if path.hasPrefix("/") || path.hasPrefix("~") { spec.workingDirectory = path } else {
                        reader.error(value, "working_dir '\(path)' must be an absolute path")
                    }
                }
            case "schedule":
                if let text = reader.string(value, "schedule") {
                    if let problem = CronSchedule.problem(text) { reader.error(value, problem) } else {
                        spec.timer = TimerSpec(cron: text)
                    }
                }
            default: break
            }
        }
        if spec.timer != nil, !typeWritten { spec.type = .oneshot }
    }

    private func applySharedKeys(_ entries: [YAMLReader.Entry], to unit: inout CompiledUnit) {
        let context = "in resources of unit '\(unit.spec.name)'"
        for entry in entries {
            let value = entry.value
            switch entry.key {
            case "resources":
                if let read = reader.resources(value, of: "resources", context: context) {
                    unit.spec.resources = read.resources
                    unit.ports = read.ports
                }
            case "env_from":
                for prefix in reader.stringList(value, "env_from") ?? [] {
                    if prefix.text.hasPrefix("/") { unit.spec.environmentFromStore.append(prefix.text) } else {
                        reader.error(prefix.node, "env_from '\(prefix.text)' must be a store key or prefix starting with '/'")
                    }
                }
            case "after":
                unit.after = reader.stringList(value, "after") ?? []
                unit.spec.after = unit.after.map(\.text)
            case "health":
                HealthSyntax(reader: reader).read(value, into: &unit.spec)
            case "exclusive":
                if let flag = reader.bool(value, "exclusive") { unit.spec.exclusive = flag }
            case "ports":
                unit.namedPorts = PortSyntax(reader: reader, unitName: unit.spec.name, stackName: stackName).read(value)
                unit.spec.ports = unit.namedPorts.map(\.port)
            default: break
            }
        }
        // Host ports of named ports are the machine's, as resources.ports are: the scheduler
        // places around them and the stack checks that they are used once.
        for (port, node) in unit.namedPorts {
            guard let host = port.host else { continue }
            unit.spec.resources.ports.append(host)
            unit.ports.append((host, node))
        }
    }

    private func environment(_ node: Node) -> [EnvironmentVariable] {
        guard let entries = reader.entries(node, of: "env", context: "in env") else { return [] }
        var result: [EnvironmentVariable] = []
        for entry in entries {
            guard NameRules.isEnvironmentName(entry.key) else {
                reader.error(entry.keyNode, "invalid environment variable name '\(entry.key)'; use letters, digits and '_', not starting with a digit")
                continue
            }
            guard let text = entry.value.scalarText, !entry.value.isNull else {
                reader.error(entry.value, "expected a string value for environment variable '\(entry.key)', found \(entry.value.kindDescription)")
                continue
            }
            result.append(EnvironmentVariable(name: entry.key, value: text))
        }
        return result
    }
}
