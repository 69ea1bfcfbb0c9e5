/// A fleet unit file compiled to Flotilla's model: the unit and its `[X-Fleet]` placement.
public struct FleetUnit: Sendable, Hashable {
    /// The unit (`[Unit]`, `[Service]` / `[Timer]`).
    public var unit: UnitSpec
    /// `[X-Fleet]` rules with fleet's semantics.
    public var placement: PlacementRules
    /// `Global=` (last value decides).
    public var global: Bool
}

/// fleet unit files: `.service` and `.timer` units with `[X-Fleet]` options, templates and
/// specifiers. Stricter than fleet: unknown keys and malformed values are errors.
public enum FleetUnitFile {
    /// Loads a unit file from disk. A missing `name@N.service` is instantiated from
    /// `name@.service` in the same directory. Templates (`name@.service`) validate but yield no
    /// stack (they are only run through instances).
    public static func load(path: String) -> SpecLoader.Result {
        SpecLoader.Result(stacks: [], diagnostics: [.error(SourceLocation(file: path, line: 1, column: 1), "fleet unit files are not supported yet")])
    }

    /// Parses unit text for the unit called `unitName` (e.g. `web@1.service`; specifiers
    /// `%n %N %p %i` resolve from it). `file` is used in diagnostics.
    public static func parse(text: String, unitName: String, file: String) -> (FleetUnit?, [Diagnostic]) {
        (nil, [.error(SourceLocation(file: file, line: 1, column: 1), "fleet unit files are not supported yet")])
    }
}
