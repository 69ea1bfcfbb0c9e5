import Yams

/// Compiles one entry of `stacks:` to a ``StackSpec``.
struct StackCompiler {
    /// Every key a stack may have.
    static let knownKeys = ["count", "global", "spread", "placement", "update", "reschedule", "disruption", "disconnect", "keep_versions", "network", "units"]

    /// Where problems go.
    let reader: YAMLReader
    /// The stack file's directory, for `unit:` paths.
    let baseDirectory: String

    /// The stack, or nil when it has errors (all of them reported).
    func compile(name: String, keyNode: Node, value: Node) -> StackSpec? {
        let before = reader.diagnostics.count
        if let problem = NameRules.stackNameProblem(name) { reader.error(keyNode, problem) }
        guard let entries = reader.entries(value, of: name, context: "in stack '\(name)'", known: Self.knownKeys) else { return nil }
        var stack = StackSpec(name: name, units: [], location: reader.location(keyNode))
        let placementSyntax = PlacementSyntax(reader: reader, stackName: name)
        var countEntry: YAMLReader.Entry?
        var globalEntry: YAMLReader.Entry?
        var units: [CompiledUnit] = []
        var unitNames: [String] = []
        var unitsEntry: YAMLReader.Entry?
        for entry in entries {
            switch entry.key {
            case "count":
                countEntry = entry
                if globalEntry != nil { bothScaleKeys(entry, name) }
                guard let count = reader.integer(entry.value, "count") else { break }
                if count < 0 { reader.error(entry.value, "count must be 0 or more, found \(count)") }
                if count > StackSpec.maxCount {
                    reader.error(entry.value, "count of stack '\(name)' must be at most \(StackSpec.maxCount), found \(count); split it into several stacks")
                }
                if globalEntry == nil { stack.scale = .count(count) }
            case "global":
                globalEntry = entry
                if countEntry != nil { bothScaleKeys(entry, name) }
                if reader.bool(entry.value, "global") == true, countEntry == nil { stack.scale = .global }
            case "spread": stack.spread = placementSyntax.spread(entry.value)
            case "placement": stack.placement = placementSyntax.placement(entry.value)
            case "keep_versions":
                guard let keep = reader.integer(entry.value, "keep_versions") else { break }
                if keep < 1 { reader.error(entry.value, "keep_versions of stack '\(name)' must be 1 or more (the current version is always kept), got \(keep)") }
                stack.keepVersions = keep
            case "network":
                guard let text = reader.string(entry.value, "network") else { break }
                guard let mode = NetworkMode(rawValue: text) else {
                    reader.error(entry.value, "network of stack '\(name)' must be 'host' or 'overlay', got '\(text)'")
                    break
                }
                stack.network = mode == .host ? nil : mode
            case "disruption":
                guard let entries = reader.entries(entry.value, of: "disruption", context: "in disruption of stack '\(name)'",
                                                   known: ["max_unavailable"]) else { break }
                var budget = DisruptionBudget()
                for item in entries {
                    if let value = reader.count(item, atLeast: 1, meaning: "1 or more", stack: name) { budget.maxUnavailable = value }
                }
                stack.disruption = budget
            case "disconnect":
                guard let entries = reader.entries(entry.value, of: "disconnect", context: "in disconnect of stack '\(name)'",
                                                   known: ["stop_after"]) else { break }
                guard let item = entries.first else {
                    reader.error(entry.value, "disconnect of stack '\(name)' needs 'stop_after' (how long after losing its lease a machine stops the stack's units)")
                    break
                }
                if let seconds = reader.duration(item.value, "stop_after") { stack.disconnect = DisconnectPolicy(stopAfter: seconds) }
            case "reschedule": stack.reschedule = RescheduleSyntax(reader: reader, stackName: name).read(entry.value)
            case "update": stack.update = UpdateSyntax(reader: reader, stackName: name).read(entry.value)
            default:
                unitsEntry = entry
                (units, unitNames) = compileUnits(entry, stackName: name)
            }
        }
        if unitsEntry == nil { reader.error(keyNode, "stack '\(name)' has no 'units'") }
        for key in ["reschedule", "disruption"] {
            if stack.isGlobal, let entry = entries.first(where: { $0.key == key }) {
                reader.error(entry.keyNode, "a global stack cannot use '\(key)': its instance belongs to its machine")
            }
        }
        if let machine = stack.placement.machineID, let entry = entries.first(where: { $0.key == "reschedule" }) {
            reader.error(entry.keyNode, "stack '\(name)' runs only on machine \(machine) (placement.machine): 'reschedule' could never move it")
        }
        if stack.isGlobal, !stack.placement.machineOf.isEmpty, let global = globalEntry {
            reader.error(global.keyNode, "a global stack cannot use 'placement.machine_of'; it runs on every eligible machine")
        }
        if let canary = stack.update?.canary, canary > 0, case .count(let count) = stack.scale, canary > count,
           let entry = entries.first(where: { $0.key == "update" }) {
            reader.error(entry.value, "stack '\(name)' has \(canary) canaries but a count of \(count); canary must be at most the count")
        }
        checkPorts(units, stackName: name)
        checkNamedPorts(units, stackName: name, overlay: stack.network == .overlay)
        checkAfter(units, names: unitNames)
        for unit in units { merge(unit, into: &stack.placement) }
        stack.units = units.map(\.spec)
        return Array(reader.diagnostics[before...]).hasErrors ? nil : stack
    }

    private func bothScaleKeys(_ second: YAMLReader.Entry, _ name: String) {
        reader.error(second.keyNode, "stack '\(name)' sets both 'count' and 'global'; use one of them")
    }

    /// The units that could be read, and the names of all units written.
    private func compileUnits(_ entry: YAMLReader.Entry, stackName: String) -> ([CompiledUnit], [String]) {
        guard let entries = reader.entries(entry.value, of: "units", context: "in units of stack '\(stackName)'") else { return ([], []) }
        if entries.isEmpty {
            reader.error(entry.value, "stack '\(stackName)' has no units; define at least one under 'units'")
        }
        let compiler = UnitCompiler(reader: reader, stackName: stackName, baseDirectory: baseDirectory)
        let units = entries.compactMap { compiler.compile(name: $0.key, keyNode: $0.keyNode, value: $0.value) }
        return (units, entries.map(\.key))
    }

    /// One instance runs on one machine, so its units cannot share a host port.
    private func checkPorts(_ units: [CompiledUnit], stackName: String) {
        var owners: [Int: String] = [:]
        for unit in units {
            for port in unit.ports {
                if let owner = owners[port.value] {
                    reader.error(port.node, "port \(port.value) is already used by unit '\(owner)' of stack '\(stackName)'")
                } else {
                    owners[port.value] = unit.spec.name
                }
            }
        }
    }

    /// Named ports belong to overlay instances, and one instance names a port once.
    private func checkNamedPorts(_ units: [CompiledUnit], stackName: String, overlay: Bool) {
        var owners: [String: String] = [:]
        for unit in units {
            for (port, node) in unit.namedPorts {
                if !overlay {
                    reader.error(node, "port '\(port.name)' of unit '\(unit.spec.name)': named ports need 'network: overlay' on stack '\(stackName)' (with the machine's network, reserve host ports with resources.ports)")
                }
                if let owner = owners[port.name] {
                    reader.error(node, "port name '\(port.name)' is already used by unit '\(owner)' of stack '\(stackName)'")
                } else {
                    owners[port.name] = unit.spec.name
                }
            }
        }
    }

    /// `after` must name units of the same stack and must not form a cycle.
    private func checkAfter(_ units: [CompiledUnit], names: [String]) {
        for unit in units {
            for item in unit.after where !names.contains(item.text) {
                reader.error(item.node, "unit '\(unit.spec.name)' is after '\(item.text)', which is not a unit of this stack\(Suggestion.hint(for: item.text, among: names.filter { $0 != unit.spec.name }))")
            }
        }
        AfterOrder(units: units, reader: reader).reportCycles()
    }

    /// Adds a reused unit file's `[X-Fleet]` rules to the stack's placement (all must hold).
    private func merge(_ unit: CompiledUnit, into placement: inout PlacementRules) {
        guard let node = unit.reuseNode, !unit.placement.isEmpty else { return }
        let extra = unit.placement
        for (key, values) in extra.metadata {
            if let existing = placement.metadata[key] {
                let common = existing.filter(values.contains)
                if common.isEmpty {
                    reader.error(node, "MachineMetadata \(key)=\(values.joined(separator: "|")) in the unit file contradicts the stack's placement \(key)=\(existing.joined(separator: "|"))")
                }
                placement.metadata[key] = common
            } else {
                placement.metadata[key] = values
            }
        }
        if let id = extra.machineID {
            if let existing = placement.machineID, existing != id {
                reader.error(node, "MachineID=\(id) in the unit file contradicts the stack's placement machine '\(existing)'")
            }
            placement.machineID = id
        }
        for glob in extra.conflicts where !placement.conflicts.contains(glob) { placement.conflicts.append(glob) }
    }
}
