/// The state of compiling one unit file: the unit being built, the `[X-Fleet]` rules, and every
/// diagnostic. Section readers (`readUnit`, `readService`, `readTimer`, `readFleet`) extend it.
struct UnitFileReader {
    /// File name for diagnostics.
    let file: String
    /// The unit's name (specifiers come from it).
    let name: UnitName
    /// False: `%n %N %p %i` are validated but kept verbatim.
    let resolving: Bool
    /// Everything found so far.
    var diagnostics: [Diagnostic] = []
    /// The unit being built.
    var unit: UnitSpec
    /// `[X-Fleet]` placement.
    var placement = PlacementRules()
    /// `[X-Fleet] Global=`.
    var global = false

    /// `ExecStart=` lines in effect (after resets), for the oneshot rule.
    var execStartLocations: [SourceLocation] = []
    /// Where `Type=` was last set.
    var typeLocation: SourceLocation?
    /// `[Timer]` settings read so far.
    var timer = TimerSpec()
    /// `[X-Fleet]` bookkeeping: where each canonical option took effect (Global: where it
    /// became true), for the combination checks.
    var fleetOptionLocations: [String: SourceLocation] = [:]
    /// `MachineOf=` peers with specifiers resolved, and where they were written.
    var resolvedPeers: [(name: String, location: SourceLocation)] = []
    /// `Conflicts=` (first) and `Replaces=` globs with specifiers resolved, keyed by option.
    var resolvedGlobs: [(option: String, glob: Glob, location: SourceLocation)] = []

    init(file: String, name: UnitName, resolving: Bool, kind: UnitKind) {
        self.file = file
        self.name = name
        self.resolving = resolving
        self.unit = UnitSpec(name: name.name, kind: kind)
        self.unit.location = SourceLocation(file: file, line: 1, column: 1)
    }

    mutating func error(_ location: SourceLocation, _ message: String) {
        diagnostics.append(.error(location, message))
    }

    mutating func warning(_ location: SourceLocation, _ message: String) {
        diagnostics.append(.warning(location, message))
    }

    /// Reports bad specifiers in `entry`'s value; true when there were none.
    mutating func checkSpecifiers(_ entry: UnitFileEntry, machine: Specifiers.MachineUse) -> Bool {
        let found = Specifiers.check(entry.value, machine: machine, location: entry.location(at:))
        diagnostics += found
        return found.isEmpty
    }

    /// `text` with name specifiers resolved, or verbatim when not resolving.
    func resolved(_ text: String, machine: Specifiers.MachineUse) -> String {
        resolving ? Specifiers.resolve(text, name: name, keepingMachine: machine == .keep) : text
    }

    /// `text` with name specifiers resolved whatever the mode, for validation. A template
    /// validates with the placeholder instance `0`.
    func forValidation(_ text: String) -> String {
        let sample = name.instance.isEmpty && name.hasAt ? name.instantiated("0") ?? name : name
        return Specifiers.resolve(text, name: sample, keepingMachine: false)
    }

    /// The entry's checked and resolved value; nil when it has specifier errors.
    mutating func value(_ entry: UnitFileEntry, machine: Specifiers.MachineUse = .keep) -> String? {
        checkSpecifiers(entry, machine: machine) ? resolved(entry.value, machine: machine) : nil
    }

    /// Reports a key that is not in `supported` or `ignored` of `section`, or warns for an
    /// ignored one. True when the key is supported.
    mutating func checkKey(_ entry: UnitFileEntry, supported: [String], ignored: [String]) -> Bool {
        if supported.contains(entry.key) { return true }
        if ignored.contains(entry.key) {
            warning(entry.keyLocation, "\(entry.key)= is not supported by Flotilla; ignored")
            return false
        }
        if entry.key.hasPrefix("X-") {
            let fleetKeys = FleetSection.keys + FleetSection.aliases.keys
            let note = fleetKeys.contains(entry.key) ? "; fleet options belong in [X-Fleet]" : ""
            warning(entry.keyLocation, "\(entry.key)= in [\(entry.section)] is ignored\(note)")
            return false
        }
        error(entry.keyLocation, "unknown key '\(entry.key)' in [\(entry.section)]" + Suggestion.hint(for: entry.key, among: supported + ignored))
        return false
    }
}
