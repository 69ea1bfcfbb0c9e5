/// Where a running instance of a `network: overlay` stack is reachable, as written to
/// `endpoints/<stack>/<instance>` by the agent that runs it (under its machine's lease).
///
/// The key exists while every unit of the instance runs (and, for units with a health check,
/// is healthy); the agent deletes it when that stops being true. DNS discovery answers from
/// these keys; anything else may read them too (`etcdctl get --prefix /flotilla/endpoints/`).
public struct ServiceEndpoint: Sendable, Hashable, Codable {
    /// Record schema; readers ignore fields they don't know.
    public var schema: Int = 1
    /// The stack, e.g. `web`.
    public var stack: String
    /// The instance, e.g. `web@2`.
    public var instance: String
    /// The machine running it.
    public var machine: String
    /// The instance's overlay address, dotted.
    public var address: String
    /// Its units' named ports, by name (nil when it has none).
    public var ports: [NamedPort]?

    public init(stack: String, instance: String, machine: String, address: String, ports: [NamedPort]? = nil) {
        self.stack = stack; self.instance = instance; self.machine = machine; self.address = address; self.ports = ports
    }
}
