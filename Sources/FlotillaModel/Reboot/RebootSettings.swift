/// How an agent reboots its machine when the OS says it needs to (the agent config's
/// `reboot:` block, locksmith's strategies).
public struct RebootSettings: Sendable, Hashable {
    /// locksmith's strategies.
    public enum Strategy: String, Sendable, Hashable, CaseIterable {
        /// Never reboot (the default).
        case off
        /// Reboot as soon as it is needed (inside the window), without a slot or a drain.
        case reboot
        /// Take a slot of the group (granted only when the cluster has room without this
        /// machine), drain, reboot, and give the slot back once the machine is healthy again.
        case lock
    }

    public var strategy: Strategy = .off
    /// The reboot group (FleetLock's `group`).
    public var group: String = "default"
    /// When reboots may happen; nil: any time.
    public var window: RebootWindow?
    /// The window text as written (`Thu 23:00` for `1h30m`), for messages.
    public var windowText: String?
    /// The file whose existence means a reboot is needed.
    public var neededFile: String = "/run/reboot-required"
    /// What reboots the machine.
    public var command: [String] = ["systemctl", "reboot"]
    /// Seconds the drain and the reboot may take: a reboot starts only with this much of the
    /// window left, and a drain still going when the window closes gives its slot back.
    public var drainTime: Double = 600

    public init() {}

    /// The keys the `reboot:` block may hold.
    public static let keys = ["strategy", "group", "window", "needed_file", "command", "drain_time"]
}

extension RebootSettings {
    /// Whether a group name is valid: FleetLock's grammar, `[a-zA-Z0-9.-]+`.
    public static func isValidGroup(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 128 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    }
}
