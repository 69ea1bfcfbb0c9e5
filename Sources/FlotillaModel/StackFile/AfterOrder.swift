import Yams

/// Finds cycles in the `after` relation of one stack's units.
struct AfterOrder {
    /// The stack's units.
    let units: [CompiledUnit]
    /// Where problems go.
    let reader: YAMLReader

    /// Reports each cycle once, at the `after` entry that closes it, e.g.
    /// `'after' cycle: a -> b -> a`.
    func reportCycles() {
        var index: [String: Int] = [:]
        for (i, unit) in units.enumerated() where index[unit.spec.name] == nil { index[unit.spec.name] = i }
        var state = [Int](repeating: 0, count: units.count)  // 0 new, 1 on path, 2 done
        var path: [Int] = []
        func visit(_ u: Int) {
            state[u] = 1
            path.append(u)
            for item in units[u].after {
                guard let v = index[item.text] else { continue }
                if state[v] == 1 {
                    let cycle = path[path.firstIndex(of: v)!...].map { units[$0].spec.name } + [units[v].spec.name]
                    reader.error(item.node, "'after' cycle: \(cycle.joined(separator: " -> "))")
                } else if state[v] == 0 {
                    visit(v)
                }
            }
            path.removeLast()
            state[u] = 2
        }
        for u in units.indices where state[u] == 0 { visit(u) }
    }
}
