/// What the controller decided for one stack, at `decisions/<stack>`: the spec revision it
/// decided from, where each instance it wants is placed, and why the others are unplaced.
///
/// The leader writes it in the same guarded transaction as the assignments it describes, and
/// only when it changed; it deletes it once the stack is destroyed. Readers (`status`, the
/// `apply` waiter) take it as the controller's word and never plan again: a record whose
/// ``specRevision`` is older than the stack's mod revision means the controller has not
/// decided about the current spec yet.
///
/// The instances the controller wants are exactly the keys of ``placed`` and ``unplaced``
/// (see ``wanted``); an `inactive` stack has none.
public struct DecisionRecord: Sendable, Hashable, Codable {
    /// Record schema; readers ignore fields they don't know.
    public var schema: Int = 1
    /// The stack.
    public var stack: String
    /// Mod revision of `stacks/<name>` the decision was made from.
    public var specRevision: Int64
    /// Wanted instances that are placed: instance → machine.
    public var placed: [String: String]
    /// Wanted instances that are unplaced: instance → why.
    public var unplaced: [String: UnplacedInstance]

    public init(stack: String, specRevision: Int64, placed: [String: String] = [:],
                unplaced: [String: UnplacedInstance] = [:]) {
        self.stack = stack; self.specRevision = specRevision; self.placed = placed; self.unplaced = unplaced
    }

    /// Every instance the controller wants for the stack, placed or not, sorted.
    public var wanted: [String] { (Array(placed.keys) + Array(unplaced.keys)).sorted() }
}

/// Why one instance is unplaced: the scheduler's explanation, machine by machine counted
/// under the first rule that ruled it out (DESIGN.md §6: placement failure is data).
public struct UnplacedInstance: Sendable, Hashable, Codable {
    /// One reason and how many machines it ruled out.
    public struct ReasonCount: Sendable, Hashable, Codable {
        /// The reason (`memory exhausted (needs 4Gi, most free 1Gi)`).
        public var reason: String
        /// Machines it ruled out.
        public var machines: Int

        public init(reason: String, machines: Int) { self.reason = reason; self.machines = machines }
    }

    /// Machines in the cluster when the controller decided.
    public var machinesTotal: Int
    /// Counts per reason, largest first.
    public var reasons: [ReasonCount]
    /// The sentence for people (`0/3 machines fit db@1: 3 memory exhausted …`).
    public var explanation: String
    /// When the controller first found it unplaced for this explanation (seconds since 1970);
    /// kept while the explanation stays the same.
    public var since: Double

    /// Creates the explanation of an unplaced instance.
    public init(machinesTotal: Int, reasons: [ReasonCount], explanation: String, since: Double) {
        self.machinesTotal = machinesTotal; self.reasons = reasons; self.explanation = explanation; self.since = since
    }
}
