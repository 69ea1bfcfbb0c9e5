/// `[X-Fleet]` options with fleet's semantics (see `reference/fleet.md` §1), stricter where
/// fleet silently ignored mistakes.
enum FleetSection {
    /// The options, by their current names.
    static let keys = ["MachineID", "MachineOf", "MachineMetadata", "Conflicts", "Global", "Replaces"]
    /// Deprecated names and the option each stands for.
    static let aliases: [String: String] = [
        "X-ConditionMachineID": "MachineID", "X-ConditionMachineBootID": "MachineID", "X-ConditionMachineOf": "MachineOf",
        "X-ConditionMachineMetadata": "MachineMetadata", "X-Conflicts": "Conflicts",
    ]
    /// Option pairs fleet's API refused (`api/units.go:ValidateOptions`).
    static let forbiddenPairs = [("MachineID", "MachineOf"), ("MachineID", "Conflicts"), ("MachineID", "Global"),
                                 ("MachineID", "Replaces"), ("Global", "MachineOf"), ("Global", "Replaces"),
                                 ("Conflicts", "Replaces")]

    /// fleet's `parseMultivalueLine`: a value that starts and ends with `"` is split on spaces
    /// outside quotes (quotes removed); otherwise it is one value. Empty pieces are dropped.
    /// Each piece comes with the offset of its first character.
    static func values(_ text: String) -> [(text: String, offset: Int)] {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return [(text, 0)] }
        var result: [(text: String, offset: Int)] = []
        var current = ""
        var start: Int?
        var quoted = false
        for (i, c) in text.enumerated() {
            if c == "\"" { quoted.toggle(); continue }
            if c == " ", !quoted {
                if let s = start, !current.isEmpty { result.append((current, s)) }
                current = ""; start = nil
                continue
            }
            if start == nil { start = i }
            current.append(c)
        }
        if let s = start, !current.isEmpty { result.append((current, s)) }
        return result
    }

    /// fleet's `isTruthyValue` (true) and its false counterparts; nil for anything else.
    static func truth(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "1", "on", "t": true
        case "false", "no", "0", "off", "f": false
        default: nil
        }
    }
}

extension UnitFileReader {
    /// One `[X-Fleet]` assignment.
    mutating func readFleet(_ entry: UnitFileEntry) {
        var option = entry.key
        if let canonical = FleetSection.aliases[entry.key] {
            warning(entry.keyLocation, "\(entry.key)= is deprecated; use \(canonical)=")
            option = canonical
        }
        guard FleetSection.keys.contains(option) else {
            return error(entry.keyLocation, "unknown key '\(entry.key)' in [X-Fleet]" + Suggestion.hint(for: entry.key, among: FleetSection.keys + FleetSection.aliases.keys.sorted()))
        }
        guard checkSpecifiers(entry, machine: .forbid) else { return }
        if entry.value.isEmpty { return resetFleet(option) }
        var pieces: [(text: String, location: SourceLocation)] = []
        for piece in FleetSection.values(entry.value) {
            if option == "Conflicts" || option == "Replaces" {
                var offset = piece.offset
                for word in piece.text.split(separator: " ", omittingEmptySubsequences: false) {
                    if !word.isEmpty { pieces.append((String(word), entry.location(at: offset))) }
                    offset += word.count + 1
                }
            } else {
                pieces.append((piece.text, entry.location(at: piece.offset)))
            }
        }
        for (text, location) in pieces {
            let check = forValidation(text)
            let stored = resolved(text, machine: .forbid)
            switch option {
            case "MachineID":
                guard placement.machineID == nil else {
                    warning(location, "only the first MachineID= value counts; '\(text)' is ignored")
                    continue
                }
                guard !check.contains(where: { $0 == " " || $0 == "\t" }) else {
                    error(location, "invalid MachineID= value '\(text)'; expected a machine ID (full or its first 8 characters)")
                    continue
                }
                placement.machineID = stored
                noteFleetOption(option, at: entry.keyLocation)
            case "MachineOf":
                if let problem = UnitName.validate(check) {
                    error(location, "MachineOf= takes exact unit names (no globs): \(problem)")
                    continue
                }
                if !placement.machineOf.contains(stored) { placement.machineOf.append(stored) }
                resolvedPeers.append((check, location))
                noteFleetOption(option, at: entry.keyLocation)
            case "MachineMetadata":
                let parts = check.split(separator: "=", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    error(location, "invalid MachineMetadata= value '\(text)'; expected key=value with a non-empty key and value (fleet silently ignored this)")
                    continue
                }
                let storedParts = stored.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(storedParts[0]), value = String(storedParts[1])
                if !(placement.metadata[key]?.contains(value) ?? false) { placement.metadata[key, default: []].append(value) }
                noteFleetOption(option, at: entry.keyLocation)
            case "Conflicts", "Replaces":
                let glob = Glob(check)
                guard glob.isValid else {
                    error(location, "invalid glob '\(text)' in \(option)=; check '[…]' brackets and trailing '\\'")
                    continue
                }
                if option == "Conflicts" { placement.conflicts.append(Glob(stored)) } else { placement.replaces.append(Glob(stored)) }
                resolvedGlobs.append((option, glob, location))
                noteFleetOption(option, at: entry.keyLocation)
            default: // Global
                guard let flag = FleetSection.truth(check) else {
                    error(location, "invalid Global= value '\(text)'; expected true or false (also yes/no, 1/0, on/off, t/f)")
                    continue
                }
                global = flag
                if flag { fleetOptionLocations["Global"] = entry.keyLocation } else { fleetOptionLocations["Global"] = nil }
            }
        }
    }

    private mutating func noteFleetOption(_ option: String, at location: SourceLocation) {
        if fleetOptionLocations[option] == nil { fleetOptionLocations[option] = location }
    }

    /// `Key=` with an empty value clears the option.
    private mutating func resetFleet(_ option: String) {
        fleetOptionLocations[option] = nil
        switch option {
        case "MachineID": placement.machineID = nil
        case "MachineOf": placement.machineOf = []; resolvedPeers = []
        case "MachineMetadata": placement.metadata = [:]
        case "Conflicts": placement.conflicts = []; resolvedGlobs.removeAll { $0.option == option }
        case "Replaces": placement.replaces = []; resolvedGlobs.removeAll { $0.option == option }
        default: global = false
        }
    }

    /// fleet's refused combinations, reported at the later of the two options.
    mutating func finishFleet() {
        func later(_ a: SourceLocation, _ b: SourceLocation) -> Bool { (a.line, a.column) > (b.line, b.column) }
        for (first, second) in FleetSection.forbiddenPairs {
            guard let a = fleetOptionLocations[first], let b = fleetOptionLocations[second] else { continue }
            let (earlierKey, earlier, laterKey, latest) = later(a, b) ? (second, b, first, a) : (first, a, second, b)
            error(latest, "\(laterKey)= cannot be combined with \(earlierKey)= (line \(earlier.line)); fleet rejects this combination")
        }
        for peer in resolvedPeers {
            for (option, glob, location) in resolvedGlobs where glob.matches(peer.name) {
                let at = later(peer.location, location) ? peer.location : location
                error(at, "unresolvable requirements: MachineOf= peer '\(peer.name)' matches \(option)= glob '\(glob.pattern)'")
            }
        }
    }
}
