import FlotillaModel

/// `GET /v1/health`: this agent, the store and the controller's leader.
public struct HealthReport: Sendable, Hashable, Codable {
    /// The machine serving the request.
    public var machine: String
    /// True when the store answered.
    public var storeReachable: Bool
    /// Machine ID of the current leader (the controller), nil when nobody leads.
    public var leader: String?
    /// The store's current revision, when reachable.
    public var revision: Int64?
    /// What went wrong talking to the store.
    public var problem: String?

    public init(machine: String, storeReachable: Bool, leader: String? = nil, revision: Int64? = nil, problem: String? = nil) {
        self.machine = machine; self.storeReachable = storeReachable; self.leader = leader
        self.revision = revision; self.problem = problem
    }
}

/// `GET /v1/machines`: every registered machine, and machines that still hold assignments
/// after their lease expired.
public struct MachinesReport: Sendable, Hashable, Codable {
    /// Store revision read at.
    public var revision: Int64
    /// Machines by ID.
    public var machines: [MachineReport]

    public init(revision: Int64, machines: [MachineReport]) { self.revision = revision; self.machines = machines }
}

/// One machine.
public struct MachineReport: Sendable, Hashable, Codable {
    /// Machine ID.
    public var id: String
    /// Its record (nil for a machine that is down).
    public var record: MachineRecord?
    /// Its last usage report.
    public var usage: MachineUsage?
    /// `alive` (its key exists) or `down` (lease gone, assignments left).
    public var state: String
    /// `cordoned` or `draining` (``CordonRecord``), nil when in service.
    public var cordon: String?
    /// Instances assigned to it.
    public var instances: Int
    /// Units of those instances.
    public var units: Int
    /// A machine that is down: when the controller found its lease gone (nil until it did).
    public var downSince: Double?

    public init(id: String, record: MachineRecord?, usage: MachineUsage?, state: String, cordon: String? = nil,
                instances: Int, units: Int) {
        self.id = id; self.record = record; self.usage = usage; self.state = state; self.cordon = cordon
        self.instances = instances; self.units = units
    }
}

/// `POST /v1/machines/{id}/cordon|drain|uncordon`: what changed.
public struct CordonChange: Sendable, Hashable, Codable {
    /// The machine's full ID.
    public var machine: String
    /// `cordoned`, `draining` or nil (in service) before.
    public var previous: String?
    /// The same, now.
    public var state: String?
    /// Store revision of the write (or of the read, when nothing changed).
    public var revision: Int64
    /// False when the machine was already in that state.
    public var changed: Bool

    public init(machine: String, previous: String?, state: String?, revision: Int64, changed: Bool) {
        self.machine = machine; self.previous = previous; self.state = state; self.revision = revision; self.changed = changed
    }
}

/// `GET /v1/logs/{instance}/{unit}`: lines of a unit's journal.
public struct LogChunk: Sendable, Hashable, Codable {
    /// The lines, oldest first, without their newline.
    public var lines: [String]
    /// Byte offset in the live journal file where the next read (`?offset=`) continues.
    public var nextOffset: Int64
    /// The machine whose journal was read (filled in by the API).
    public var machine: String?

    public init(lines: [String], nextOffset: Int64, machine: String? = nil) {
        self.lines = lines; self.nextOffset = nextOffset; self.machine = machine
    }
}

/// `GET /v1/events`: one page of events in key (= time) order.
public struct EventsPage: Sendable, Hashable, Codable {
    /// One event and the key it is stored under.
    public struct Entry: Sendable, Hashable, Codable {
        /// The key after `events/`: pass it as `after` to read what came later.
        public var key: String
        /// The event.
        public var event: EventRecord

        public init(key: String, event: EventRecord) { self.key = key; self.event = event }
    }

    /// Events in key order.
    public var events: [Entry]
    /// True when more events follow the last one.
    public var more: Bool
    /// Store revision read at.
    public var revision: Int64

    public init(events: [Entry], more: Bool, revision: Int64) {
        self.events = events; self.more = more; self.revision = revision
    }
}

/// `GET /v1/units/{stack}`: one stored stack.
public struct StackReport: Sendable, Hashable, Codable {
    /// Stack name.
    public var name: String
    /// The record (spec, desired state, sources, unit file text).
    public var record: StackRecord
    /// Mod revision of its key.
    public var revision: Int64

    public init(name: String, record: StackRecord, revision: Int64) {
        self.name = name; self.record = record; self.revision = revision
    }
}

/// The answer to start, stop, unload and destroy.
public struct StackChange: Sendable, Hashable, Codable {
    /// Stack name.
    public var stack: String
    /// Desired state before.
    public var previous: DesiredState
    /// Desired state now; nil when the stack was destroyed.
    public var desired: DesiredState?
    /// Store revision after the change (the stack's new spec revision), or the stack's
    /// revision when nothing changed.
    public var revision: Int64
    /// False when the stack already was in that state (nothing written).
    public var changed: Bool

    public init(stack: String, previous: DesiredState, desired: DesiredState?, revision: Int64, changed: Bool) {
        self.stack = stack; self.previous = previous; self.desired = desired; self.revision = revision; self.changed = changed
    }
}

/// The body of every error response: a sentence saying what to do, and for rejected spec
/// files every diagnostic.
public struct ErrorBody: Sendable, Hashable, Codable {
    /// What went wrong and what to do.
    public var error: String
    /// For rejected spec files: every problem, `FILE:LINE:COL`.
    public var diagnostics: [Diagnostic]?

    public init(error: String, diagnostics: [Diagnostic]? = nil) { self.error = error; self.diagnostics = diagnostics }
}
