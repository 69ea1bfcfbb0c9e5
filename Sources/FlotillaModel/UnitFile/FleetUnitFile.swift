/// A fleet unit file compiled to Flotilla's model: the unit and its `[X-Fleet]` placement.
public struct FleetUnit: Sendable, Hashable {
    /// The unit (`[Unit]`, `[Service]` / `[Timer]`).
    public var unit: UnitSpec
    /// `[X-Fleet]` rules with fleet's semantics.
    public var placement: PlacementRules
    /// `Global=` (last value decides).
    public var global: Bool

    /// Creates a compiled unit.
    public init(unit: UnitSpec, placement: PlacementRules = PlacementRules(), global: Bool = false) {
        self.unit = unit
        self.placement = placement
        self.global = global
    }
}

/// fleet unit files: `.service` and `.timer` units with `[X-Fleet]` options, templates and
/// specifiers. Stricter than fleet: unknown keys and malformed values are errors.
public enum FleetUnitFile {
    /// Loads a unit file from disk. A missing `name@N.service` is instantiated from
    /// `name@.service` in the same directory. Templates (`name@.service`) validate but yield no
    /// stack (they are only run through instances).
    public static func load(path: String) -> SpecLoader.Result {
        let start = SourceLocation(file: path, line: 1, column: 1)
        let unitName = String(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
        var source = path
        var text = SpecLoader.read(path)
        if text == nil, SpecLoader.readError(path) == "no such file", let name = UnitName(unitName), let template = name.templateName {
            let directory = path.dropLast(unitName.count)
            let templatePath = String(directory) + template
            if let templateText = SpecLoader.read(templatePath) {
                text = templateText
                source = templatePath
            }
        }
        guard let text else {
            return SpecLoader.Result(stacks: [], diagnostics: [.error(start, "cannot read file: \(SpecLoader.readError(path))")])
        }
        var (unit, diagnostics) = parse(text: text, unitName: unitName, file: source)
        guard let unit, !diagnostics.hasErrors else { return SpecLoader.Result(stacks: [], diagnostics: diagnostics) }
        if let name = UnitName(unitName), name.isTemplate {
            let example = "\(name.prefix)@1.\(name.suffix)"
            diagnostics.append(.warning(start, "template: not scheduled by itself; name an instance such as \(example)"))
            return SpecLoader.Result(stacks: [], diagnostics: diagnostics)
        }
        var compiled = unit
        if compiled.unit.kind == .timer {
            let service = timerService(compiled, unitName: unitName, path: path, at: start)
            diagnostics += service.diagnostics
            guard let run = service.unit else { return SpecLoader.Result(stacks: [], diagnostics: diagnostics) }
            compiled = run
        }
        let stack = StackSpec(name: unitName, scale: compiled.global ? .global : .count(1), placement: compiled.placement,
                              units: [compiled.unit], naming: .single, location: SourceLocation(file: source, line: 1, column: 1))
        return SpecLoader.Result(stacks: [stack], diagnostics: diagnostics)
    }

    /// A `.timer` runs its service (`Unit=`, by default the timer's name with `.service`),
    /// read from the same directory (a missing `name@N.service` from its template, as for any
    /// unit): the timer's stack runs that service on the timer's schedule, placed by the
    /// timer's `[X-Fleet]` rules (the service's when the timer has none). The service file
    /// applied by itself would be a stack of its own, running all the time.
    private static func timerService(_ timer: FleetUnit, unitName: String, path: String,
                                     at start: SourceLocation) -> (unit: FleetUnit?, diagnostics: [Diagnostic]) {
        let serviceName = timer.unit.timer?.unit ?? String(unitName.dropLast(".timer".count)) + ".service"
        let servicePath = String(path.dropLast(unitName.count)) + serviceName
        let loaded = load(path: servicePath)
        guard let stack = loaded.stacks.first, !loaded.diagnostics.hasErrors, var service = stack.units.first else {
            let why = loaded.diagnostics.filter { $0.severity == .error }.map(\.message).first ?? "it defines no unit"
            return (nil, [.error(start, "\(unitName) runs \(serviceName), which cannot be used: \(why); put \(serviceName) next to \(unitName) (or name another service with Unit=)")])
        }
        service.timer = timer.unit.timer
        // fleet placed a timer next to its service with `MachineOf=`; here the service runs in
        // the timer's own instance, so that rule is already met.
        var own = timer.placement
        own.machineOf.removeAll { $0 == serviceName }
        let placement = own.isEmpty ? stack.placement : own
        return (FleetUnit(unit: service, placement: placement, global: timer.global || stack.isGlobal), loaded.diagnostics)
    }

    /// Parses unit text for the unit called `unitName` (e.g. `web@1.service`; specifiers
    /// `%n %N %p %i` resolve from it). `file` is used in diagnostics. With
    /// `resolvingSpecifiers: false` those specifiers are validated but kept verbatim, for a
    /// caller that resolves them per instance later with
    /// ``Specifiers/resolve(_:name:keepingMachine:)``: `keepingMachine: true` for the unit's
    /// values (the agent resolves `%m %H %b %%` with
    /// ``Specifiers/resolveMachine(_:machineID:hostname:bootID:)``), `false` for placement.
    /// Returns nil when any error was found.
    public static func parse(text: String, unitName: String, file: String, resolvingSpecifiers: Bool = true) -> (FleetUnit?, [Diagnostic]) {
        let start = SourceLocation(file: file, line: 1, column: 1)
        if let problem = UnitName.validate(unitName) { return (nil, [.error(start, problem)]) }
        let name = UnitName(unitName)!
        guard let kind = UnitKind(rawValue: name.suffix) else {
            return (nil, [.error(start, "Flotilla runs .service and .timer units, not '.\(name.suffix)'")])
        }
        let syntax = UnitFileSyntax.parse(text: text, file: file)
        var reader = UnitFileReader(file: file, name: name, resolving: resolvingSpecifiers, kind: kind)
        reader.diagnostics = syntax.diagnostics
        var firstHeader: [String: SourceLocation] = [:]
        var ignored: Set<String> = []
        for section in syntax.sections {
            let known = UnitFileKeys.sections.contains(section.name)
            if firstHeader[section.name] == nil, known { firstHeader[section.name] = section.location }
            if known {
                if section.name == "Install", firstHeader["Install"] == section.location {
                    reader.warning(section.location, "[Install] is ignored: Flotilla starts units itself")
                } else if section.name == "Service", kind == .timer {
                    reader.error(section.location, "[Service] belongs in a .service unit; a .timer starts the service named by Unit=")
                } else if section.name == "Timer", kind == .service {
                    reader.error(section.location, "[Timer] belongs in a .timer unit")
                }
            } else if section.name.hasPrefix("X-") {
                ignored.insert(section.name)
            } else {
                ignored.insert(section.name)
                reader.error(section.location, "unknown section '[\(section.name)]'" + Suggestion.hint(for: section.name, among: UnitFileKeys.sections))
            }
        }
        for entry in syntax.entries where !ignored.contains(entry.section) {
            switch entry.section {
            case "Unit": reader.readUnit(entry)
            case "Service" where kind == .service: reader.readService(entry)
            case "Timer" where kind == .timer: reader.readTimer(entry)
            case "X-Fleet": reader.readFleet(entry)
            case "Install":
                if !UnitFileKeys.install.contains(entry.key) {
                    reader.error(entry.keyLocation, "unknown key '\(entry.key)' in [Install]" + Suggestion.hint(for: entry.key, among: UnitFileKeys.install))
                }
            default: break
            }
        }
        if kind == .service {
            reader.finishService(sectionLocation: firstHeader["Service"])
        } else {
            reader.finishTimer(sectionLocation: firstHeader["Timer"])
        }
        reader.finishFleet()
        let diagnostics = reader.diagnostics.sortedByLocation()
        guard !diagnostics.hasErrors else { return (nil, diagnostics) }
        return (FleetUnit(unit: reader.unit, placement: reader.placement, global: reader.global), diagnostics)
    }
}
