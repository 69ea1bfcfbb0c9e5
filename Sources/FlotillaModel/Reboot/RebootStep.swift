import Foundation

/// The agent's reboot strategy as a pure step: from what it knows now to what it does next.
/// The shell (`RebootAgent`) gathers the ``Facts``, carries out the ``Action`` and asks again.
public enum RebootStep {
    /// What the agent knows at one moment.
    public struct Facts: Sendable, Hashable {
        /// The needed file exists.
        public var needed: Bool
        /// The agent ran the reboot command in an earlier life (its marker file exists).
        public var rebooted: Bool
        /// The machine is registered (its record is in the store under its lease).
        public var registered: Bool
        /// The machine holds a slot of its group.
        public var holdsSlot: Bool
        public var now: Date
        public var zone: TimeZone

        public init(needed: Bool, rebooted: Bool, registered: Bool, holdsSlot: Bool, now: Date, zone: TimeZone = .current) {
            self.needed = needed; self.rebooted = rebooted; self.registered = registered; self.holdsSlot = holdsSlot
            self.now = now; self.zone = zone
        }
    }

    /// What to do.
    public enum Action: Sendable, Hashable {
        /// Nothing (reboots are off, or not needed and nothing is held).
        case idle
        /// Back from a reboot but not registered yet: wait.
        case awaitRegistration
        /// Back from a reboot and registered: uncordon, give the slot back, forget the marker.
        case finish
        /// A reboot is no longer needed: give back the slot this machine holds.
        case release(String)
        /// Outside the window: wait (and say so in the group), giving back a slot whose
        /// drain the window's end interrupted.
        case waitForWindow(String)
        /// Ask for a slot (again): the grant, then the drain, then ready.
        case request
        /// Run the reboot command now (strategy `reboot`: no slot, no drain).
        case reboot
    }

    /// The next action for `settings` given `facts`.
    public static func next(_ settings: RebootSettings, _ facts: Facts) -> Action {
        if facts.rebooted { return facts.registered ? .finish : .awaitRegistration }
        guard settings.strategy != .off else { return .idle }
        guard facts.needed else { return facts.holdsSlot ? .release("\(settings.neededFile) is gone: no reboot is needed any more") : .idle }
        if let window = settings.window {
            let text = settings.windowText ?? "the reboot window"
            // A drain under way may go on until the window closes; a new one must fit in it.
            let fits = window.allowsStart(at: facts.now, needing: facts.holdsSlot ? 0 : settings.drainTime, in: facts.zone)
            if !fits {
                let next = window.nextOpening(after: facts.now, in: facts.zone)
                let opening = ISO8601DateFormatter.string(from: next, timeZone: facts.zone, formatOptions: [.withInternetDateTime])
                let why = facts.holdsSlot
                    ? "the window (\(text)) closed before the drain finished; next window at \(opening)"
                    : "outside the window (\(text)) or less than the drain time (\(Int(settings.drainTime)) s) before it closes; next window at \(opening)"
                return .waitForWindow(why)
            }
        }
        return settings.strategy == .lock ? .request : .reboot
    }
}
