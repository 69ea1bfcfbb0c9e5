/// A reboot group as stored at `reboot/<group>`: how many machines of it may be rebooting at
/// once and who holds the slots. Unlike locksmith's, airlock's and poseidon/fleetlock's
/// semaphores, a holder that does not come back within ``holdTimeout`` loses its slot
/// (``expire(now:)``), so a dead machine never blocks the group until someone edits the store.
///
/// Pure: the operations change the value and say what happened; the caller writes it back
/// with a transaction that compares the revision it read.
public struct RebootGroup: Sendable, Hashable, Codable {
    /// Record schema; readers ignore fields they don't know.
    public var schema: Int = 1
    /// The group's name (FleetLock's `group`).
    public var name: String
    /// Machines that may hold a slot at once.
    public var slots: Int
    /// Seconds a holder may keep its slot before it is taken back.
    public var holdTimeout: Double
    /// The holders, oldest first.
    public var holders: [RebootHolder]

    /// The default hold timeout: one hour.
    public static let defaultHoldTimeout: Double = 3600

    public init(name: String, slots: Int = 1, holdTimeout: Double = defaultHoldTimeout, holders: [RebootHolder] = []) {
        self.name = name; self.slots = slots; self.holdTimeout = holdTimeout; self.holders = holders
    }

    /// What asking for a slot did.
    public enum LockOutcome: Sendable, Hashable {
        /// The machine holds a slot now; `new` is false when it held one already (locks are
        /// recursive, as FleetLock's are).
        case granted(new: Bool)
        /// Every slot is held (by these machines).
        case full(holders: [String])
    }

    /// Whether `machine` holds a slot.
    public func holds(_ machine: String) -> Bool { holders.contains { $0.machine == machine } }

    /// Gives `machine` a slot if one is free (or it has one already).
    public mutating func lock(machine: String, reason: String, now: Double) -> LockOutcome {
        if holds(machine) { return .granted(new: false) }
        guard holders.count < slots else { return .full(holders: holders.map(\.machine)) }
        holders.append(RebootHolder(machine: machine, since: now, reason: reason))
        return .granted(new: true)
    }

    /// Releases `machine`'s slot; false when it held none (releasing is idempotent).
    @discardableResult
    public mutating func unlock(machine: String) -> Bool {
        let before = holders.count
        holders.removeAll { $0.machine == machine }
        return holders.count != before
    }

    /// Takes back the slots held longer than ``holdTimeout`` at `now`; returns their holders.
    public mutating func expire(now: Double) -> [RebootHolder] {
        let expired = holders.filter { now - $0.since >= holdTimeout }
        holders.removeAll { now - $0.since >= holdTimeout }
        return expired
    }

    /// Free slots (never negative: lowering ``slots`` below the holders keeps them).
    public var free: Int { max(0, slots - holders.count) }
}

/// A machine holding a reboot slot.
public struct RebootHolder: Sendable, Hashable, Codable {
    /// The machine ID.
    public var machine: String
    /// When it got the slot (seconds since 1970).
    public var since: Double
    /// Why, for `reboot status` ("fleetlock pre-reboot", "reboot needed: /run/reboot-required").
    public var reason: String

    public init(machine: String, since: Double, reason: String) {
        self.machine = machine; self.since = since; self.reason = reason
    }
}
