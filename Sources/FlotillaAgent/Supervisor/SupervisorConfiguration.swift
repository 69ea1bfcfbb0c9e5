import FlotillaModel
import FlotillaNetwork
import Foundation
import Logging
import Metrics

/// How a ``Supervisor`` runs units on this machine.
package struct SupervisorConfiguration: Sendable {
    /// This machine's ID (status records, `%m`, `FLOTILLA_MACHINE`).
    package var machine: String
    /// The agent's state directory: run records in `units/`, journals in `journal/`.
    package var stateDirectory: String
    /// Journal rotation limits.
    package var journal: Journal.Settings
    /// Seconds between housekeeping passes (journal rotation, leftover cgroup removal).
    package var housekeepingInterval: Double
    /// `%H`.
    package var hostname: String
    /// `%b`.
    package var bootID: String
    /// Where the running exclusive units are listed for the fence watchdog (nil: no watchdog).
    package var fenceFiles: FenceFiles?
    /// Where unit starts, failures and fencing are logged (metadata: machine, instance, unit).
    package var logger: Logger
    /// Makes instances' overlay namespaces (`network: overlay`); nil: the agent has no overlay,
    /// and such instances fail to start, saying so.
    package var networks: InstanceNetworks?

    /// A configuration; hostname and boot ID are read from the machine.
    package init(machine: String, stateDirectory: String, journal: Journal.Settings = Journal.Settings(),
                 housekeepingInterval: Double = 5) {
        self.machine = machine
        self.stateDirectory = stateDirectory
        self.journal = journal
        self.housekeepingInterval = housekeepingInterval
        var logger = Logger(label: "flotilla.supervisor")
        logger[metadataKey: "machine"] = "\(machine)"
        self.logger = logger
        self.hostname = ProcessInfo.processInfo.hostName
        let boot = FileManager.default.contents(atPath: "/proc/sys/kernel/random/boot_id").map { String(decoding: $0, as: UTF8.self) }
        self.bootID = (boot ?? "").replacingOccurrences(of: "-", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `<state>/units`.
    var recordDirectory: String { stateDirectory + "/units" }
    /// `<state>/journal`.
    var journalDirectory: String { stateDirectory + "/journal" }
}

/// One change the supervisor publishes; the agent mirrors it to `status/<instance>/<unit>`.
package enum UnitStatusChange: Sendable, Hashable {
    /// The unit's status is now this.
    case updated(UnitStatus)
    /// The unit is no longer on this machine: delete its status key.
    case removed(instance: String, unit: String)
}

/// The supervisor's instruments (Prometheus names; `/metrics` on every agent). Made with the
/// supervisor, so each family is exposed (at 0) before anything happened.
struct SupervisorMetrics: Sendable {
    /// Units that reached `running` (first starts and restarts).
    let starts = Counter(label: "flotilla_unit_starts_total")
    /// Restarts by the unit's `Restart=` policy.
    let restarts = Counter(label: "flotilla_unit_restarts_total")
    /// Units that ended `failed`.
    let failures = Counter(label: "flotilla_unit_failures_total")
}
