import Yams

/// Reads the `machines:` list of a machines file.
struct MachineEntrySyntax {
    /// The keys of one machine entry.
    static let keys = ["id", "metadata", "capacity", "reserved", "running", "down", "count"]

    /// Where problems go.
    let reader: YAMLReader

    /// Every machine, `count` entries expanded to `<id>-1` … `<id>-N`.
    func machines(_ node: Node) -> [MachineDescription] {
        guard case .sequence(let items) = node else {
            reader.error(node, "expected a list of machines for 'machines', found \(node.kindDescription)")
            return []
        }
        var result: [MachineDescription] = []
        var idLines: [String: Int] = [:]
        var runningOn: [String: String] = [:]
        for item in items {
            guard let (description, idNode, count, runningNodes) = entry(item) else { continue }
            let ids = count.map { n in (1...max(n, 1)).map { "\(description.machine.id)-\($0)" } } ?? [description.machine.id]
            for id in ids {
                let line = idNode.mark?.line ?? 1
                if let first = idLines[id] {
                    let origin = count == nil ? "" : " (from count)"
                    reader.error(idNode, "machine id '\(id)'\(origin) is already used at line \(first)")
                    continue
                }
                idLines[id] = line
                var copy = description
                copy.machine.id = id
                result.append(copy)
            }
            for (name, node) in runningNodes {
                if let other = runningOn[name] {
                    reader.error(node, "instance '\(name)' is already running on machine '\(other)'")
                } else {
                    runningOn[name] = description.machine.id
                }
            }
        }
        return result
    }

    /// One entry: the description, its `id` node, its `count`, and its `running` items.
    private func entry(_ node: Node) -> (MachineDescription, Node, Int?, [(String, Node)])? {
        let before = reader.diagnostics.count
        guard let entries = reader.entries(node, of: "machine", context: "in machine", known: Self.keys) else { return nil }
        var byKey: [String: YAMLReader.Entry] = [:]
        for entry in entries where byKey[entry.key] == nil { byKey[entry.key] = entry }
        var idNode = node
        var id = ""
        if let entry = byKey["id"] {
            idNode = entry.value
            id = reader.string(entry.value, "id") ?? ""
            if !id.isEmpty, !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isASCIIDigit || "-_.".contains($0)) }) {
                reader.error(entry.value, "invalid machine id '\(id)'; use letters, digits, '-', '_' and '.'")
            } else if id.isEmpty, !entry.value.isNull {
                reader.error(entry.value, "empty machine id")
            }
        } else {
            reader.error(node, "machine entry needs 'id'")
        }
        let name = id.isEmpty ? "machine" : "machine '\(id)'"
        var description = MachineDescription(machine: Machine(id: id, capacity: .zero))
        if let entry = byKey["capacity"] {
            description.machine.capacity = reader.resources(entry.value, of: "capacity", context: "in capacity of \(name)")?.resources ?? .zero
        } else {
            reader.error(node, "\(name) needs 'capacity' (cpu, memory, disk)")
        }
        if let entry = byKey["reserved"] {
            description.reserved = reader.resources(entry.value, of: "reserved", context: "in reserved of \(name)")?.resources ?? .zero
        }
        if let entry = byKey["metadata"] {
            description.machine.metadata = Metadata(reader.metadata(entry.value, of: "metadata"))
        }
        if let entry = byKey["down"], let down = reader.bool(entry.value, "down") { description.alive = !down }
        var count: Int?
        if let entry = byKey["count"], let n = reader.integer(entry.value, "count") {
            if n < 1 { reader.error(entry.value, "count must be 1 or more, found \(n)") }
            count = n
        }
        var running: [(String, Node)] = []
        if let entry = byKey["running"] {
            if byKey["count"] != nil {
                reader.error(entry.keyNode, "'running' cannot be used with 'count'; describe machines that run instances one by one")
            }
            for item in reader.stringList(entry.value, "running") ?? [] {
                if item.text.isEmpty || item.text.contains(where: \.isWhitespace) {
                    reader.error(item.node, "invalid instance name '\(item.text)'; use names like 'lamp@1'")
                } else {
                    running.append((item.text, item.node))
                }
            }
            description.running = running.map(\.0)
        }
        if Array(reader.diagnostics[before...]).hasErrors { return nil }
        return (description, idNode, count, running)
    }
}
