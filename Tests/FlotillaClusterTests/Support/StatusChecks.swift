import FlotillaAPI
import FlotillaModel
import Foundation

extension StatusReport {
    /// Instances of `stack` placed on a machine with every unit reported `running` under the
    /// current assignment: instance → machine.
    func running(stack: String) -> [String: String] {
        var result: [String: String] = [:]
        for instance in instances where instance.stack == stack && instance.placement == .placed {
            guard let machine = instance.machine, !instance.units.isEmpty,
                  instance.units.allSatisfy({ $0.current && $0.status?.state == .running && $0.status?.machine == machine })
            else { continue }
            result[instance.instance] = machine
        }
        return result
    }

    /// The reported status of `instance/unit`.
    func status(_ instance: String, _ unit: String) -> UnitStatus? {
        instances.first { $0.instance == instance }?.units.first { $0.name == unit }?.status
    }

    /// One line per instance and unit, for failure messages.
    var summary: String {
        instances.map { instance in
            let units = instance.units.map { "\($0.name)=\($0.status?.state.rawValue ?? "-")\($0.current ? "" : "(stale)")" }
            return "\(instance.instance) \(instance.placement.rawValue) on \(instance.machine ?? "-"): \(units.joined(separator: " "))"
                + (instance.unplaced.map { " WHY: \($0.reason)" } ?? "")
        }.joined(separator: "\n")
    }
}

/// The file a `record.sh` unit writes: `<pid> <machine>` in `pids/<instance>.<machine>`.
struct PidRecord {
    var pid: Int32
    var machine: String

    /// The record `instance` wrote on `machine`, if any.
    static func read(directory: String, instance: String, machine: String) -> PidRecord? {
        guard let text = try? String(contentsOfFile: "\(directory)/pids/\(instance).\(machine)", encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let pid = Int32(parts[0]) else { return nil }
        return PidRecord(pid: pid, machine: String(parts[1]))
    }

    /// A unit script that records its pid and machine, then sleeps as the same process.
    static func script(directory: String) -> String {
        """
        #!/bin/sh
        # Records "<pid> <machine>" where the test looks, then becomes a long sleep (same pid).
        mkdir -p '\(directory)/pids'
        echo "$$ $FLOTILLA_MACHINE" > '\(directory)/pids/'"$FLOTILLA_INSTANCE.$FLOTILLA_MACHINE"
        exec sleep 100000

        """
    }
}
