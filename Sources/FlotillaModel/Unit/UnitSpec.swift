/// One supervised process with systemd `[Service]` semantics (or a `.timer` that starts one).
/// Both spec formats compile to this value.
public struct UnitSpec: Sendable, Hashable, Codable {
    /// The unit's name: `mysql` inside a YAML stack, `web@1.service` for a fleet unit file.
    public var name: String
    /// `.service` or `.timer`.
    public var kind: UnitKind
    /// `Description=`.
    public var description: String?
    /// `Type=`.
    public var type: ServiceType
    /// `ExecStartPre=` commands, in order.
    public var execStartPre: [ExecCommand]
    /// `ExecStart=`: exactly one for every type but `oneshot`, which may have several (or none).
    public var execStart: [ExecCommand]
    /// `ExecStartPost=`.
    public var execStartPost: [ExecCommand]
    /// `ExecStop=`.
    public var execStop: [ExecCommand]
    /// `ExecStopPost=`.
    public var execStopPost: [ExecCommand]
    /// `Restart=`.
    public var restart: RestartPolicy
    /// `RestartSec=` in seconds (systemd's default 0.1 s).
    public var restartSec: Double
    /// `TimeoutStartSec=` in seconds (default 90; 0 = no limit).
    public var timeoutStartSec: Double
    /// `TimeoutStopSec=` in seconds before SIGKILL (default 90).
    public var timeoutStopSec: Double
    /// `KillSignal=` (default `SIGTERM`).
    public var killSignal: String
    /// `Environment=` assignments, in order; later ones win.
    public var environment: [EnvironmentVariable]
    /// `EnvironmentFile=` paths; a leading `-` in the unit file makes the file optional.
    public var environmentFiles: [EnvironmentFile]
    /// Store keys and prefixes whose values become environment variables (`env_from`): an
    /// entry ending in `/` is a prefix (every key under it), any other entry one key.
    public var environmentFromStore: [String]
    /// The variables ``environmentFromStore`` read, as the controller resolved them into the
    /// assignment (empty in a stack's own spec). Applied last and verbatim: no specifier or
    /// `$` expansion in values that came from the store.
    public var storeEnvironment: [String: String]
    /// `WorkingDirectory=`.
    public var workingDirectory: String?
    /// `User=`.
    public var user: String?
    /// `Group=`.
    public var group: String?
    /// `RemainAfterExit=`: a oneshot unit counts as active after its commands exited.
    public var remainAfterExit: Bool
    /// What the unit asks of its machine.
    public var resources: Resources
    /// Named ports (`ports:`; `network: overlay` only): published with the instance's
    /// endpoint, SRV records, host ports forwarded. Their host ports are also in
    /// ``resources``' ports.
    public var ports: [NamedPort] = []
    /// Units of the same stack this one starts after (`After=` / `after`).
    public var after: [String]
    /// How to tell that the unit is healthy, when it says.
    public var health: HealthCheck?
    /// Consecutive failed checks after which the agent kills the unit as a failure, so its
    /// `restart` policy applies (YAML `failures`, default 3 when `health:` is given); 0 only
    /// reports the verdict.
    public var healthFailures: Int
    /// Seconds after the unit starts running during which failed checks do not count (YAML
    /// `grace`).
    public var healthGrace: Double
    /// Fenced: never two copies of this unit anywhere, even across a partition.
    public var exclusive: Bool
    /// A cron schedule (`schedule:`) or the `.timer` settings; nil for long-running units.
    public var timer: TimerSpec?
    /// Where the unit was defined, for messages.
    public var location: SourceLocation?

    /// A unit with systemd's defaults.
    public init(name: String, kind: UnitKind = .service) {
        self.name = name
        self.kind = kind
        self.description = nil
        self.type = .simple
        self.execStartPre = []
        self.execStart = []
        self.execStartPost = []
        self.execStop = []
        self.execStopPost = []
        self.restart = .no
        self.restartSec = 0.1
        self.timeoutStartSec = 90
        self.timeoutStopSec = 90
        self.killSignal = "SIGTERM"
        self.environment = []
        self.environmentFiles = []
        self.environmentFromStore = []
        self.storeEnvironment = [:]
        self.workingDirectory = nil
        self.user = nil
        self.group = nil
        self.remainAfterExit = false
        self.resources = .zero
        self.after = []
        self.health = nil
        self.healthFailures = 0
        self.healthGrace = 0
        self.exclusive = false
        self.timer = nil
        self.location = nil
    }
}

/// The systemd unit types Flotilla runs.
public enum UnitKind: String, Sendable, Hashable, Codable {
    /// A process (or several, for `Type=oneshot`).
    case service
    /// Starts a service on a calendar or interval.
    case timer
}

/// systemd's `Type=` values that Flotilla supports.
public enum ServiceType: String, Sendable, Hashable, Codable, CaseIterable {
    /// The main process is the service (default).
    case simple
    /// Like simple; systemd reports started after exec succeeded.
    case exec
    /// Runs to completion; may have several or no `ExecStart=` lines.
    case oneshot
    /// The started process forks and exits; the child is the service.
    case forking
}

/// systemd's `Restart=` values.
public enum RestartPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    case no
    case onSuccess = "on-success"
    case onFailure = "on-failure"
    case onAbnormal = "on-abnormal"
    case onWatchdog = "on-watchdog"
    case onAbort = "on-abort"
    case always
}

/// One `Exec*=` line: the argument vector after systemd's quoting rules, and its prefixes.
public struct ExecCommand: Sendable, Hashable, Codable {
    /// Program path and arguments (`arguments[0]` is the program). Specifiers that only the
    /// running machine knows (`%m %H %b`) and `${VAR}` references are kept as written.
    public var arguments: [String]
    /// The `-` prefix: a non-zero exit is not a failure.
    public var ignoreFailure: Bool
    /// Run exactly as written: no `%` specifiers, no `$NAME`/`${NAME}` expansion. A YAML
    /// stack's `exec:` array is verbatim; a fleet unit file's `Exec*=` line is expanded the
    /// way systemd does it.
    public var verbatim: Bool

    public init(arguments: [String], ignoreFailure: Bool = false, verbatim: Bool = false) {
        self.arguments = arguments
        self.ignoreFailure = ignoreFailure
        self.verbatim = verbatim
    }
}

/// One `NAME=value` of a unit's environment.
public struct EnvironmentVariable: Sendable, Hashable, Codable {
    /// Variable name.
    public var name: String
    /// Value.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An `EnvironmentFile=` entry.
public struct EnvironmentFile: Sendable, Hashable, Codable {
    /// Absolute path on the machine.
    public var path: String
    /// Written with a leading `-`: a missing file is not an error.
    public var optional: Bool

    public init(path: String, optional: Bool) {
        self.path = path
        self.optional = optional
    }
}

/// How the supervisor checks that a unit is healthy.
public enum HealthCheck: Sendable, Hashable, Codable {
    /// A TCP connect to this port on the machine succeeds.
    case tcp(port: Int, intervalSec: Double, timeoutSec: Double)
    /// An HTTP GET on this port and path answers 2xx or 3xx.
    case http(port: Int, path: String, intervalSec: Double, timeoutSec: Double)
    /// The command exits 0.
    case exec(arguments: [String], intervalSec: Double, timeoutSec: Double)
}

/// When a timer-driven unit runs.
public struct TimerSpec: Sendable, Hashable, Codable {
    /// A cron expression (`schedule:` in YAML), five fields.
    public var cron: String?
    /// systemd `OnCalendar=` expressions.
    public var onCalendar: [String]
    /// systemd `OnUnitActiveSec=` in seconds.
    public var onUnitActiveSec: Double?
    /// systemd `OnBootSec=` / `OnStartupSec=` in seconds.
    public var onBootSec: Double?
    /// The unit the timer starts (`Unit=`, default: the timer's own name with `.service`).
    public var unit: String?
    /// systemd `Persistent=`: a run missed while the machine was down happens at the next start.
    public var persistent: Bool
    /// systemd `AccuracySec=` in seconds (nil: systemd's default of one minute).
    public var accuracySec: Double?

    /// Creates timer settings.
    public init(cron: String? = nil, onCalendar: [String] = [], onUnitActiveSec: Double? = nil, onBootSec: Double? = nil, unit: String? = nil,
                persistent: Bool = false, accuracySec: Double? = nil) {
        self.cron = cron
        self.onCalendar = onCalendar
        self.onUnitActiveSec = onUnitActiveSec
        self.onBootSec = onBootSec
        self.unit = unit
        self.persistent = persistent
        self.accuracySec = accuracySec
    }
}

extension UnitSpec {
    /// True when `other` runs the same way: equal in everything but ``location`` (where the
    /// unit was written). A unit moved down a line of its file, or applied from another path,
    /// is the same unit and must not restart.
    public func runsLike(_ other: UnitSpec) -> Bool {
        var mine = self, theirs = other
        mine.location = nil
        theirs.location = nil
        return mine == theirs
    }

    /// ``runsLike(_:)`` for two lists, in order.
    public static func runAlike(_ one: [UnitSpec], _ other: [UnitSpec]) -> Bool {
        one.count == other.count && zip(one, other).allSatisfy { $0.runsLike($1) }
    }
}
