import Yams

/// Loads a fleet unit file named by `unit: ./x.service`, relative to the stack file.
struct UnitReuse {
    /// Where problems go; problems inside the unit file keep that file's own positions.
    let reader: YAMLReader
    /// The stack file's directory ("" for the current directory).
    let baseDirectory: String

    /// The directory part of `file`: `examples` for `examples/lamp.yaml`, "" for `lamp.yaml`.
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    /// `path` resolved against `base`, without a leading `./`.
    static func resolve(_ path: String, against base: String) -> String {
        if path.hasPrefix("/") || base.isEmpty { return path }
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        return base.hasSuffix("/") ? base + relative : base + "/" + relative
    }

    /// The compiled unit file, or nil with errors: an unreadable file (at the value's
    /// position), errors inside the file (at their own positions), or `[X-Fleet]` options a
    /// stack expresses itself (`Global=`, `MachineOf=`, `Replaces=`).
    func load(_ node: Node, unitName: String) -> FleetUnit? {
        guard let written = reader.string(node, "unit") else { return nil }
        guard !written.hasSuffix(".timer") else {
            reader.error(node, "reusing a .timer as a unit is not supported yet; reuse its service (unit: ./x.service) and give it schedule:, or apply the .timer file itself")
            return nil
        }
        guard written.hasSuffix(".service") else {
            reader.error(node, "unit file '\(written)' must end in .service")
            return nil
        }
        let path = Self.resolve(written, against: baseDirectory)
        guard let text = SpecLoader.read(path) else {
            reader.error(node, "cannot read unit file '\(written)' (\(path)): \(SpecLoader.readError(path))")
            return nil
        }
        let fileName = String(path.split(separator: "/").last ?? Substring(path))
        let (parsed, diagnostics) = FleetUnitFile.parse(text: text, unitName: fileName, file: path, resolvingSpecifiers: false)
        diagnostics.forEach(reader.append)
        guard let fleetUnit = parsed, !diagnostics.hasErrors else {
            if !diagnostics.hasErrors { reader.error(node, "unit file '\(written)' could not be compiled") }
            return nil
        }
        var ok = true
        if fleetUnit.global {
            reader.error(node, "'\(written)' sets Global=; use the stack's 'global: true' instead")
            ok = false
        }
        if !fleetUnit.placement.machineOf.isEmpty {
            reader.error(node, "'\(written)' sets MachineOf=; use the stack's 'placement.machine_of' instead")
            ok = false
        }
        if !fleetUnit.placement.replaces.isEmpty {
            reader.error(node, "'\(written)' sets Replaces=; stacks do not support Replaces, use 'placement.conflicts' instead")
            ok = false
        }
        return ok ? fleetUnit : nil
    }
}
