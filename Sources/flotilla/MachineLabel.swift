import FlotillaAPI

/// How tables name a machine: its ID's first 8 hex digits and, in parentheses, its `name`
/// or `machine` label, else its hostname — `a054326f (machine=2)`, `4f3c9a1b (db-1)`. The
/// full ID is in `-o json|yaml` and in `flotilla machines`.
struct MachineLabel {
    private let names: [String: String]

    /// Labels from `report` (nil: short IDs only).
    init(_ report: MachinesReport?) {
        var names: [String: String] = [:]
        for machine in report?.machines ?? [] {
            guard let record = machine.record else { continue }
            if let name = record.metadata["name"].first { names[machine.id] = name }
            else if let label = record.metadata["machine"].first { names[machine.id] = "machine=\(label)" }
            else { names[machine.id] = record.hostname }
        }
        self.names = names
    }

    /// `id` as a table shows it; `-` for none.
    func text(_ id: String?) -> String {
        guard let id else { return "-" }
        let short = id.count > 8 ? String(id.prefix(8)) : id
        return names[id].map { "\(short) (\($0))" } ?? short
    }
}
