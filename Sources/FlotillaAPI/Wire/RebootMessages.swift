import FlotillaModel

/// `GET /v1/reboot[/{group}]`: the reboot groups, with holders past their hold timeout taken
/// back first.
public struct RebootStatusReport: Sendable, Hashable, Codable {
    /// The groups by name (a group appears once a machine asked for a slot or it was set up).
    public var groups: [RebootGroup]
    /// The server's time (seconds since 1970), to show how long holders have held.
    public var now: Double

    public init(groups: [RebootGroup], now: Double) { self.groups = groups; self.now = now }
}

/// `POST /v1/reboot/{group}/lock|unlock`: which machine (nil: the agent answering).
public struct RebootLockRequest: Sendable, Hashable, Codable {
    public var machine: String?
    public init(machine: String?) { self.machine = machine }
}

/// What a lock or unlock did.
public struct RebootLockResponse: Sendable, Hashable, Codable {
    /// The machine's full ID.
    public var machine: String
    public var group: String
    /// `ready` (holds a slot, drained), `draining`, `waiting`, `full`; `released` or
    /// `not-held` for an unlock.
    public var outcome: String
    /// Why it drains or waits.
    public var reasons: [String]

    public init(machine: String, group: String, outcome: String, reasons: [String] = []) {
        self.machine = machine; self.group = group; self.outcome = outcome; self.reasons = reasons
    }
}

/// `POST /v1/reboot/{group}/slots`: `reboot set-max GROUP N [--hold-timeout D]`.
public struct RebootSlotsRequest: Sendable, Hashable, Codable {
    public var slots: Int
    /// Seconds; nil: unchanged.
    public var holdTimeout: Double?
    public init(slots: Int, holdTimeout: Double?) { self.slots = slots; self.holdTimeout = holdTimeout }
}
