import Yams

/// A unit read from a stack file, with the nodes that stack-level checks point at.
struct CompiledUnit {
    /// The compiled unit.
    var spec: UnitSpec
    /// The unit's key in `units:`.
    var keyNode: Node
    /// `after:` entries with their nodes.
    var after: [(text: String, node: Node)] = []
    /// `resources.ports` entries with their nodes.
    var ports: [(value: Int, node: Node)] = []
    /// `ports:` entries (named ports) with their nodes.
    var namedPorts: [(port: NamedPort, node: Node)] = []
    /// `[X-Fleet]` rules of a reused unit file, merged into the stack's placement.
    var placement = PlacementRules()
    /// The `unit:` value, where placement merge problems are reported.
    var reuseNode: Node?
}
