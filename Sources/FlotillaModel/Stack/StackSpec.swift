/// Units that always run together on one machine, with a count (or `global`) and placement
/// rules. A fleet unit file submitted alone is a stack of one unit.
public struct StackSpec: Sendable, Hashable, Codable, Identifiable {
    /// The largest `count` of one stack (the throughput benchmark places 10,000 at once).
    public static let maxCount = 10_000

    /// Stack name: a YAML key like `lamp`, or a fleet unit name like `web@1.service`.
    public var name: String
    /// How many instances run.
    public var scale: Scale
    /// Spreading of instances over machines.
    public var spread: Spread?
    /// Hard placement rules shared by every instance.
    public var placement: PlacementRules
    /// The units, in the order they were written.
    public var units: [UnitSpec]
    /// How instances are named (see ``InstanceNaming``).
    public var naming: InstanceNaming
    /// The `update:` block as written; nil when the stack has none (see ``updateStrategy``).
    public var update: UpdateStrategy?
    /// The `disruption:` block; nil: a drain moves every instance of the stack at once.
    public var disruption: DisruptionBudget?
    /// The `reschedule:` block; nil: failing instances are never moved.
    public var reschedule: ReschedulePolicy?
    /// The `disconnect:` block; nil: non-exclusive units of a machine that lost its lease keep
    /// running.
    public var disconnect: DisconnectPolicy?
    /// The `network:` key: `host` (nil, the default: units share the machine's network) or
    /// `overlay` (each instance in its own network namespace with an address from the machine's
    /// overlay subnet).
    public var network: NetworkMode?
    /// Versions of the stack kept in the store (`keep_versions`, at least 1); nil: the default (10).
    public var keepVersions: Int?
    /// Where the stack was defined, for messages.
    public var location: SourceLocation?

    public init(name: String, scale: Scale = .count(1), spread: Spread? = nil, placement: PlacementRules = PlacementRules(),
                units: [UnitSpec], naming: InstanceNaming = .indexed, update: UpdateStrategy? = nil,
                location: SourceLocation? = nil) {
        self.name = name
        self.scale = scale
        self.spread = spread
        self.placement = placement
        self.units = units
        self.naming = naming
        self.update = update
        self.location = location
    }

    /// The stack name.
    public var id: String { name }

    /// How a change of its units rolls out: the `update:` block, or the defaults.
    public var updateStrategy: UpdateStrategy { update ?? UpdateStrategy() }

    /// What one instance asks of its machine: the sum of its units' requests.
    public var resources: Resources { units.reduce(.zero) { $0 + $1.resources } }

    /// The metadata every machine taking part in the overlay network carries (its agent adds it
    /// unless it runs with `--no-overlay`); a `network: overlay` stack needs it.
    public static let overlayMetadata = (key: "flotilla.overlay", value: "true")

    /// `placement` as the scheduler applies it: with `network: overlay`, only on machines that
    /// take part in the overlay (``overlayMetadata``).
    public var schedulingPlacement: PlacementRules {
        guard network == .overlay else { return placement }
        var rules = placement
        rules.metadata[Self.overlayMetadata.key] = [Self.overlayMetadata.value]
        return rules
    }

    /// True when any unit is `exclusive` (fenced).
    public var isExclusive: Bool { units.contains { $0.exclusive } }

    /// True for `global` stacks.
    public var isGlobal: Bool { if case .global = scale { true } else { false } }

    /// The name of instance `index` (1-based) of a counted stack: `lamp@3`, or the stack name
    /// itself for a fleet unit (``InstanceNaming/single``).
    public func instanceName(index: Int) -> String {
        naming == .single ? name : "\(name)@\(index)"
    }

    /// The name of a global stack's instance on `machineID`: `lamp@<machineID>`.
    public func instanceName(machineID: String) -> String { "\(name)@\(machineID)" }
}

/// Where an instance's processes live on the network (the stack's `network:` key).
public enum NetworkMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The machine's own network namespace: ports are the machine's ports.
    case host
    /// A network namespace of the instance's own on the machine's overlay bridge (`flotilla0`),
    /// with an address from the machine's subnet, released when the instance stops.
    case overlay
}

/// How many instances a stack runs.
public enum Scale: Sendable, Hashable, Codable {
    /// Exactly this many instances, placed by the scheduler.
    case count(Int)
    /// One instance on every eligible machine.
    case global
}

/// How instances of one stack are spread over machines.
public enum Spread: Sendable, Hashable, Codable {
    /// At most one instance of the stack per machine (hard).
    case machine
    /// Balance instances over the values of a metadata key, e.g. `zone` (soft: preferred, not required).
    case metadata(key: String)
}

/// How instance names are formed.
public enum InstanceNaming: String, Sendable, Hashable, Codable {
    /// `stack@N` (YAML stacks, and fleet templates instantiated with a count).
    case indexed
    /// The stack name itself (a fleet unit file is one unit, one instance).
    case single
}

/// Hard placement rules (fleet's `[X-Fleet]` and YAML's `placement:`).
public struct PlacementRules: Sendable, Hashable, Codable {
    /// Required metadata: every key must be present on the machine with one of the listed
    /// values (same key = OR, different keys = AND).
    public var metadata: [String: [String]]
    /// Run only on this machine (full ID, or fleet's 8-character short ID).
    public var machineID: String?
    /// Run on the machine of these instances (all of them). `%i` is replaced by the
    /// instance index before matching.
    public var machineOf: [String]
    /// Never share a machine with an instance whose name (or stack name) matches one of these
    /// globs; symmetric.
    public var conflicts: [Glob]
    /// fleet's `Replaces=`: when sharing a machine with a matching instance, that one moves away.
    public var replaces: [Glob]

    /// No rules.
    public init(metadata: [String: [String]] = [:], machineID: String? = nil, machineOf: [String] = [],
                conflicts: [Glob] = [], replaces: [Glob] = []) {
        self.metadata = metadata
        self.machineID = machineID
        self.machineOf = machineOf
        self.conflicts = conflicts
        self.replaces = replaces
    }

    /// True when no rule is set.
    public var isEmpty: Bool {
        metadata.isEmpty && machineID == nil && machineOf.isEmpty && conflicts.isEmpty && replaces.isEmpty
    }

    /// True when `machine` carries every required metadata key with an allowed value.
    public func metadataMatches(_ machine: Metadata) -> Bool {
        metadata.allSatisfy { key, allowed in machine[key].contains { allowed.contains($0) } }
    }

    /// `disk=ssd region=eu|us`: the metadata requirement as shown in placement failures.
    public var metadataSummary: String {
        metadata.keys.sorted().map { "\($0)=\(metadata[$0]!.joined(separator: "|"))" }.joined(separator: " ")
    }
}
