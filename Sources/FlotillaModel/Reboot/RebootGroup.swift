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
    /// Machines that asked for a slot and wait, with why (`reboot status` shows them).
    public var waiters: [RebootWaiter] = []

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
    /// A new holder keeps its cordon before the grant (`cordonBefore`, restored on release) and
    /// the stacks that ran on it.
    public mutating func lock(machine: String, reason: String, now: Double, cordonBefore: Bool? = nil,
                              stacks: [String] = []) -> LockOutcome {
        if holds(machine) { return .granted(new: false) }
        guard holders.count < slots else { return .full(holders: holders.map(\.machine)) }
        holders.append(RebootHolder(machine: machine, since: now, reason: reason, cordonBefore: cordonBefore, stacks: stacks))
        waiters.removeAll { $0.machine == machine }
        return .granted(new: true)
    }

    /// Records that `machine` waits, and why; `since` stays while the reasons stay the same.
    /// Returns true when the reasons changed (worth an event).
    @discardableResult
    public mutating func wait(machine: String, reasons: [String], now: Double) -> Bool {
        if let index = waiters.firstIndex(where: { $0.machine == machine }) {
            if waiters[index].reasons == reasons { return false }
            waiters[index].reasons = reasons
            waiters[index].since = now
            return true
        }
        waiters.append(RebootWaiter(machine: machine, since: now, reasons: reasons))
        return true
    }

    /// Forgets that `machine` waits (it no longer needs a reboot, or it got a slot).
    public mutating func stopWaiting(machine: String) {
        waiters.removeAll { $0.machine == machine }
    }

    /// Releases `machine`'s slot; false when it held none (releasing is idempotent).
    @discardableResult
    public mutating func unlock(machine: String) -> Bool {
        let before = holders.count
        holders.removeAll { $0.machine == machine }
        waiters.removeAll { $0.machine == machine }
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

    /// The machine's cordon before it took the slot (its `draining` flag; nil: none), which
    /// releasing the slot puts back, so a cordon of the user's stays.
    public var cordonBefore: Bool?
    /// The stacks that had instances on the machine when it took the slot: the drain is done
    /// when none is left on it and these stacks' instances are available elsewhere.
    public var stacks: [String] = []
    /// When the reboot command ran (nil: still draining).
    public var rebootingSince: Double?

    public init(machine: String, since: Double, reason: String, cordonBefore: Bool? = nil, stacks: [String] = []) {
        self.machine = machine; self.since = since; self.reason = reason; self.cordonBefore = cordonBefore; self.stacks = stacks
    }

    /// `draining` or `rebooting`, as `reboot status` shows it.
    public var phase: String { rebootingSince == nil ? "draining" : "rebooting" }
}

/// A machine waiting for a reboot slot.
public struct RebootWaiter: Sendable, Hashable, Codable {
    /// The machine ID.
    public var machine: String
    /// Since when it waits for these reasons (seconds since 1970).
    public var since: Double
    /// Why it waits: the slots are held, the cluster has no room without it (the placement
    /// failures), a stack's disruption budget is spent, or its window is closed.
    public var reasons: [String]

    public init(machine: String, since: Double, reasons: [String]) {
        self.machine = machine; self.since = since; self.reasons = reasons
    }
}
