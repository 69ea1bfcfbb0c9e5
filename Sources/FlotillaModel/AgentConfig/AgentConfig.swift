import Yams

/// An agent's settings, from its YAML config file (our cloud-config) and/or flags. Every
/// field is optional here; the agent fills in defaults. See docs/agent-config.md.
public struct AgentConfig: Sendable, Hashable {
    /// State directory (machine ID, unit journals, the embedded store).
    public var stateDirectory: String?
    /// Machine ID to use when none is stored yet.
    public var machineID: String?
    /// Placement labels.
    public var metadata: Metadata = Metadata()
    /// Capacity overrides per dimension (nil: measure it).
    public var cpu: Int64?
    /// Memory override, bytes.
    public var memory: Int64?
    /// Disk override, bytes.
    public var disk: Int64?
    /// etcd endpoints (`http://h1:2379`); empty means serve the embedded store.
    public var store: [String] = []
    /// Where the embedded store listens (`127.0.0.1:2379`).
    public var storeListen: String?
    /// Where the HTTP API listens (`127.0.0.1:4880`).
    public var listen: String?
    /// The API URL other machines use to reach this one.
    public var advertise: String?
    /// Membership lease TTL, seconds.
    public var ttl: Int64?
    /// Key prefix in the store.
    public var prefix: String?
    /// The lease-storm guard of this agent's controller: a storm is more than this share of
    /// the machines losing their leases within one TTL (default 0.5; 1 turns the guard off).
    public var stormShare: Double?
    /// Seconds nothing moves after a storm starts (default three TTLs).
    public var stormGrace: Double?
    /// The etcd cluster's CA certificate file (etcd's `--cacert`).
    public var storeCACert: String?
    /// This agent's client certificate and key files toward etcd (`--cert`, `--key`).
    public var storeCert: String?
    public var storeKey: String?
    /// An agent's API URL to join the cluster through (first start only).
    public var join: String?
    /// The join token (`flj1:<CA SHA-256>:NAME.SECRET`).
    public var joinToken: String?
    /// Whether the machine takes part in the overlay network once its config exists (default
    /// true; `--no-overlay`).
    public var overlay: Bool?
    /// flannel's `--etcd-prefix`: where the network config and the subnet leases are
    /// (default `/coreos.com/network`).
    public var networkPrefix: String?
    /// Where the subnet file goes (default `/run/flannel/subnet.env`).
    public var subnetFile: String?
    /// The interface toward the other machines, by name or IPv4 address (flannel's `--iface`).
    public var iface: String?
    /// Masquerade traffic from the overlay leaving it (flannel's `--ip-masq`).
    public var ipMasquerade: Bool?
    /// How the machine reboots for OS updates (`reboot:`); nil: the defaults (strategy off).
    public var reboot: RebootSettings?
    /// Where the FleetLock server for Zincati listens (`HOST:PORT`); nil: it does not run.
    public var fleetLockListen: String?

    /// An empty config.
    public init() {}

    /// The keys a config file may hold.
    public static let keys = ["state_dir", "machine_id", "metadata", "capacity", "store", "store_listen",
                              "listen", "advertise", "ttl", "prefix", "storm_share", "storm_grace", "join", "join_token",
                              "store_cacert", "store_cert", "store_key", "overlay", "network_prefix", "subnet_file", "iface", "ip_masq",
                              "reboot", "fleetlock_listen"]

    /// Parses a config file; `file` names it in diagnostics. With any error, the config is nil.
    public static func parse(text: String, file: String) -> (config: AgentConfig?, diagnostics: [Diagnostic]) {
        let reader = YAMLReader(file: file)
        var config = AgentConfig()
        if let root = YAMLDocument.compose(text, reader: reader), !root.isNull,
           let entries = reader.entries(root, of: "the file", context: "in the agent config", known: keys) {
            for entry in entries { config.read(entry, reader) }
        }
        let diagnostics = reader.diagnostics
        return (diagnostics.hasErrors ? nil : config, diagnostics)
    }

    /// A storm share: a number above 0 and at most 1, or nil.
    public static func stormShare(_ text: String) -> Double? {
        guard let share = Double(text), share > 0, share <= 1 else { return nil }
        return share
    }

    /// Reads and parses the config file at `path`.
    public static func load(path: String) -> (config: AgentConfig?, diagnostics: [Diagnostic]) {
        guard let text = SpecLoader.read(path) else {
            return (nil, [.error(SourceLocation(file: path, line: 1, column: 1), "cannot read file: \(SpecLoader.readError(path))")])
        }
        return parse(text: text, file: path)
    }

    private mutating func read(_ entry: YAMLReader.Entry, _ reader: YAMLReader) {
        let value = entry.value
        switch entry.key {
        case "state_dir": stateDirectory = reader.string(value, "state_dir")
        case "machine_id": machineID = reader.string(value, "machine_id")
        case "metadata": metadata = Metadata(reader.metadata(value, of: "metadata"))
        case "capacity":
            if let parsed = reader.resources(value, of: "capacity", context: "in capacity") {
                var keys = Set<String>()
                if case .mapping(let mapping) = value { for key in mapping.keys { if let k = key.scalarText { keys.insert(k) } } }
                if keys.contains("cpu") { cpu = parsed.resources.cpu }
                if keys.contains("memory") { memory = parsed.resources.memory }
                if keys.contains("disk") { disk = parsed.resources.disk }
            }
        case "store":
            if case .scalar = value, let one = reader.string(value, "store") { store = [one] }
            else { store = (reader.stringList(value, "store") ?? []).map(\.text) }
        case "store_listen": storeListen = reader.string(value, "store_listen")
        case "listen": listen = reader.string(value, "listen")
        case "advertise": advertise = reader.string(value, "advertise")
        case "ttl":
            if let seconds = reader.integer(value, "ttl") {
                if seconds < 2 { reader.error(value, "ttl must be at least 2 seconds (etcd's minimum lease), found \(seconds)") }
                ttl = Int64(seconds)
            }
        case "prefix": prefix = reader.string(value, "prefix")
        case "storm_share":
            if let text = reader.string(value, "storm_share") {
                if let share = Self.stormShare(text) { stormShare = share } else {
                    reader.error(value, "storm_share must be a number above 0 and at most 1 (the share of machines), found '\(text)'")
                }
            }
        case "store_cacert": storeCACert = reader.string(value, "store_cacert")
        case "store_cert": storeCert = reader.string(value, "store_cert")
        case "store_key": storeKey = reader.string(value, "store_key")
        case "join": join = reader.string(value, "join")
        case "join_token": joinToken = reader.string(value, "join_token")
        case "storm_grace":
            if let seconds = reader.duration(value, "storm_grace") { stormGrace = seconds }
        case "overlay": overlay = reader.bool(value, "overlay")
        case "network_prefix":
            networkPrefix = reader.string(value, "network_prefix")
            if let prefix = networkPrefix, !prefix.hasPrefix("/") {
                reader.error(value, "network_prefix must start with / (e.g. /coreos.com/network), found '\(prefix)'")
            }
        case "subnet_file": subnetFile = reader.string(value, "subnet_file")
        case "iface": iface = reader.string(value, "iface")
        case "ip_masq": ipMasquerade = reader.bool(value, "ip_masq")
        case "reboot": reboot = reader.rebootSettings(value)
        case "fleetlock_listen": fleetLockListen = reader.string(value, "fleetlock_listen")
        default: break
        }
    }
}
