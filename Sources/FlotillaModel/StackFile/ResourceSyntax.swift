import Yams

extension YAMLReader {
    /// The keys of a `resources:` (or machine `capacity:`/`reserved:`) mapping.
    static let resourceKeys = ["cpu", "memory", "disk", "ports"]

    /// Reads `{ cpu: 500m, memory: 512Mi, disk: 10Gi, ports: [80] }`. Quantities use
    /// ``Quantity``; ports must be in 1...65535 and appear once. Returns the amount and each
    /// port with its node (for cross-unit duplicate checks), or nil when the value is not a
    /// mapping. Bad fields are reported and left at zero.
    func resources(_ node: Node, of name: String, context: String) -> (resources: Resources, ports: [(value: Int, node: Node)])? {
        guard let entries = entries(node, of: name, context: context, known: Self.resourceKeys) else { return nil }
        var cpu: Int64 = 0, memory: Int64 = 0, disk: Int64 = 0
        var ports: [(value: Int, node: Node)] = []
        for entry in entries {
            switch entry.key {
            case "cpu": cpu = quantity(entry, Quantity.parseCPU) ?? 0
            case "memory": memory = quantity(entry, Quantity.parseBytes) ?? 0
            case "disk": disk = quantity(entry, Quantity.parseBytes) ?? 0
            default:
                for port in integerList(entry.value, "ports") ?? [] {
                    guard let valid = self.port(port.value, port.node) else { continue }
                    if ports.contains(where: { $0.value == valid }) {
                        error(port.node, "port \(valid) is listed twice")
                        continue
                    }
                    ports.append((valid, port.node))
                }
            }
        }
        return (Resources(cpu: cpu, memory: memory, disk: disk, ports: ports.map(\.value)), ports)
    }

    /// `port` when it is in 1...65535, else an error at `node`.
    func port(_ port: Int, _ node: Node) -> Int? {
        guard (1...65535).contains(port) else {
            error(node, "port \(port) is out of range 1-65535")
            return nil
        }
        return port
    }

    private func quantity(_ entry: Entry, _ parse: (String) throws(Quantity.ParseError) -> Int64) -> Int64? {
        guard let text = string(entry.value, entry.key) else { return nil }
        do {
            return try parse(text)
        } catch {
            self.error(entry.value, "\(entry.key): \(error.description)")
            return nil
        }
    }

    /// Seconds from a number or a span like `5s`, or an error naming `name`.
    func duration(_ node: Node, _ name: String) -> Double? {
        guard let text = string(node, name) else { return nil }
        guard let seconds = DurationSyntax.seconds(text) else {
            error(node, "invalid duration '\(text)' for '\(name)'; \(DurationSyntax.usage)")
            return nil
        }
        return seconds
    }

    /// A command: a list of strings, or one string split with shell-like quoting.
    func command(_ node: Node, _ name: String) -> [String]? {
        let words: [String]
        if case .sequence = node {
            guard let list = stringList(node, name) else { return nil }
            words = list.map(\.text)
        } else if let text = node.scalarText, !node.isNull {
            switch ShellWords.split(text) {
            case .success(let split): words = split
            case .failure(.unterminatedQuote(let quote)):
                error(node, "unterminated \(quote) quote in '\(name)'")
                return nil
            case .failure(.trailingBackslash):
                error(node, "'\(name)' ends with a lone backslash")
                return nil
            }
        } else {
            error(node, "expected a command (a list of strings or a string) for '\(name)', found \(node.kindDescription)")
            return nil
        }
        guard !words.isEmpty, !words[0].isEmpty else {
            error(node, "'\(name)' is empty; give the program and its arguments")
            return nil
        }
        return words
    }
}
