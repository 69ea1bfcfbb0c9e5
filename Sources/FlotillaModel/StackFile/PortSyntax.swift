import Yams

/// Reads a unit's `ports:`: `NAME: PORT` or `NAME: { port: PORT, host: HOSTPORT, protocol: tcp|udp }`.
struct PortSyntax {
    let reader: YAMLReader
    let unitName: String
    let stackName: String

    /// The ports as far as they could be read, each with its node (every problem reported).
    func read(_ node: Node) -> [(port: NamedPort, node: Node)] {
        let context = "in ports of unit '\(unitName)' of stack '\(stackName)'"
        guard let entries = reader.entries(node, of: "ports", context: context) else { return [] }
        var result: [(port: NamedPort, node: Node)] = []
        for entry in entries {
            if let problem = NamedPort.nameProblem(entry.key) { reader.error(entry.keyNode, problem) }
            if entry.value.scalarText != nil, !entry.value.isNull {
                guard let port = number(entry.value, entry.key) else { continue }
                result.append((NamedPort(name: entry.key, port: port), entry.keyNode))
                continue
            }
            guard let fields = reader.entries(entry.value, of: entry.key, context: "in port '\(entry.key)' \(context)",
                                              known: ["port", "host", "protocol"]) else { continue }
            var named = NamedPort(name: entry.key, port: 0)
            var portWritten = false
            for field in fields {
                switch field.key {
                case "port":
                    portWritten = true
                    if let port = number(field.value, "port") { named.port = port }
                case "host":
                    named.host = number(field.value, "host")
                default:
                    guard let text = reader.string(field.value, "protocol") else { break }
                    guard let transport = NamedPort.Transport(rawValue: text) else {
                        reader.error(field.value, "protocol of port '\(entry.key)' must be 'tcp' or 'udp', got '\(text)'")
                        break
                    }
                    named.transport = transport
                }
            }
            if !portWritten { reader.error(entry.keyNode, "port '\(entry.key)' \(context) needs 'port' (the port inside the instance)") }
            if named.port > 0 { result.append((named, entry.keyNode)) }
        }
        return result
    }

    /// A port number 1…65535, or nil (reported).
    private func number(_ node: Node, _ name: String) -> Int? {
        guard let value = reader.integer(node, name) else { return nil }
        guard (1...65_535).contains(value) else {
            reader.error(node, "\(name) must be a port from 1 to 65535, got \(value)")
            return nil
        }
        return value
    }
}
