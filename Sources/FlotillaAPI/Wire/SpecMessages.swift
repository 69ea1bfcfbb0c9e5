import FlotillaModel

/// One spec file as sent to the API: the path the user named (diagnostics quote it) and its text.
public struct SpecText: Sendable, Hashable, Codable {
    /// The path as given on the command line (`examples/lamp.yaml`).
    public var path: String
    /// The file's UTF-8 text.
    public var text: String

    public init(path: String, text: String) {
        self.path = path; self.text = text
    }
}

/// `POST /v1/apply`: compile the files like `flotilla validate` and store every stack in one
/// transaction, or store nothing.
public struct ApplyRequest: Sendable, Hashable, Codable {
    /// Every file the compilation reads: the named files and the files they refer to
    /// (`unit: ./x.service`, the template `web@.service` of `web@1.service`).
    public var files: [SpecText]
    /// The files to compile, in order; nil compiles every file in `files`. A path may be missing
    /// from `files` when it is instantiated from a template that is there.
    public var paths: [String]?
    /// Desired state of every stack; nil means `launched`.
    public var desired: DesiredState?

    public init(files: [SpecText], paths: [String]? = nil, desired: DesiredState? = nil) {
        self.files = files; self.paths = paths; self.desired = desired
    }
}

/// What `POST /v1/apply` stored.
public struct ApplyResponse: Sendable, Hashable, Codable {
    /// Store revision of the transaction that wrote the changed stacks (their spec revision);
    /// when nothing changed, the store revision the stacks were compared at.
    public var revision: Int64
    /// Names of the stacks applied, in file order: written, or left as stored when unchanged.
    public var stacks: [String]
    /// The stacks whose stored record already said exactly what the files say: nothing was
    /// written for them, so nothing restarts.
    public var unchanged: [String]
    /// Every applied stack's spec revision: ``revision`` for a written one, the stored one for
    /// an unchanged one (what a waiter waits for).
    public var specRevisions: [String: Int64]
    /// Warnings of the compilation (errors reject the request).
    public var warnings: [Diagnostic]

    /// Creates a response. Which instances the stacks get is the controller's decision, read
    /// from `GET /v1/status` once it is published.
    public init(revision: Int64, stacks: [String], unchanged: [String] = [], specRevisions: [String: Int64]? = nil,
                warnings: [Diagnostic] = []) {
        self.revision = revision; self.stacks = stacks; self.unchanged = unchanged; self.warnings = warnings
        self.specRevisions = specRevisions ?? Dictionary(stacks.map { ($0, revision) }, uniquingKeysWith: { a, _ in a })
    }

    private enum CodingKeys: String, CodingKey { case revision, stacks, unchanged, specRevisions, warnings }

    /// Decodes a response; one from an agent older than `unchanged` reads as every stack written.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let revision = try c.decode(Int64.self, forKey: .revision)
        let stacks = try c.decode([String].self, forKey: .stacks)
        self.init(revision: revision, stacks: stacks, unchanged: try c.decodeIfPresent([String].self, forKey: .unchanged) ?? [],
                  specRevisions: try c.decodeIfPresent([String: Int64].self, forKey: .specRevisions),
                  warnings: try c.decode([Diagnostic].self, forKey: .warnings))
    }

    /// The stacks written (not unchanged), in file order.
    public var written: [String] { stacks.filter { !unchanged.contains($0) } }
}

/// `POST /v1/plan`: a dry run of the files against the live cluster; nothing is written.
public struct PlanRequest: Sendable, Hashable, Codable {
    /// The files, as in ``ApplyRequest/files``.
    public var files: [SpecText]
    /// The files to compile, as in ``ApplyRequest/paths``.
    public var paths: [String]?

    public init(files: [SpecText], paths: [String]? = nil) {
        self.files = files; self.paths = paths
    }
}

/// The plan the scheduler would make if the files were applied now.
public struct PlanResponse: Sendable, Hashable, Codable {
    /// One decision about one instance.
    public struct Action: Sendable, Hashable, Codable {
        /// Instance name.
        public var instance: String
        /// Its stack.
        public var stack: String
        /// `place`, `keep`, `move` or `stop`.
        public var action: String
        /// The machine it runs on afterwards (or is stopped on).
        public var machine: String?
        /// For `move`: where it runs now.
        public var from: String?
        /// For `move` and `stop`: why.
        public var reason: String?

        public init(instance: String, stack: String, action: String, machine: String?, from: String? = nil, reason: String? = nil) {
            self.instance = instance; self.stack = stack; self.action = action; self.machine = machine
            self.from = from; self.reason = reason
        }
    }

    /// An unplaced instance, with the machines ruled out per reason.
    public struct Failure: Sendable, Hashable, Codable {
        /// Instance name.
        public var instance: String
        /// Its stack.
        public var stack: String
        /// The scheduler's sentence (`0/3 machines fit web@2: 3 memory exhausted …`).
        public var message: String
        /// Machines in the cluster.
        public var machinesTotal: Int
        /// Reason phrase and how many machines it ruled out.
        public var reasons: [Reason]

        public init(instance: String, stack: String, message: String, machinesTotal: Int, reasons: [Reason]) {
            self.instance = instance; self.stack = stack; self.message = message
            self.machinesTotal = machinesTotal; self.reasons = reasons
        }
    }

    /// One reason of a ``Failure``.
    public struct Reason: Sendable, Hashable, Codable {
        /// The phrase (`memory exhausted (needs 512Mi, most free 256Mi)`).
        public var reason: String
        /// Machines it ruled out.
        public var machines: Int

        public init(reason: String, machines: Int) { self.reason = reason; self.machines = machines }
    }

    /// What one machine would carry.
    public struct MachineUse: Sendable, Hashable, Codable {
        /// Machine ID.
        public var machine: String
        /// `up`, or `down` for a machine whose lease is gone but still holds assignments.
        public var state: String
        /// Instances placed there.
        public var instances: Int
        /// CPU requested / capacity (`1500m/2`).
        public var cpu: String
        /// Memory requested / capacity (`768Mi/4Gi`).
        public var memory: String

        public init(machine: String, state: String, instances: Int, cpu: String, memory: String) {
            self.machine = machine; self.state = state; self.instances = instances; self.cpu = cpu; self.memory = memory
        }
    }

    /// Store revision the cluster was read at.
    public var revision: Int64
    /// Stacks defined by the files.
    public var stacks: [String]
    /// Every decision of the pass, sorted by instance (other stacks' instances included: a
    /// new stack can move or starve them).
    public var actions: [Action]
    /// Instances that would be unplaced.
    public var failures: [Failure]
    /// Load per machine after the plan.
    public var machines: [MachineUse]
    /// Warnings of the compilation.
    public var warnings: [Diagnostic]

    public init(revision: Int64, stacks: [String], actions: [Action], failures: [Failure], machines: [MachineUse],
                warnings: [Diagnostic] = []) {
        self.revision = revision; self.stacks = stacks; self.actions = actions; self.failures = failures
        self.machines = machines; self.warnings = warnings
    }
}
