import FlotillaAPI
import FlotillaModel
import Foundation
import Testing

extension ClusterScenarioTests {
    /// A stack of count 3 with `spread: machine` on 3 agents: `apply` exits 0, `status -o json`
    /// shows one running instance on each machine, and each is a real process that wrote its
    /// pid and machine where the test looks.
    @Test("count 3 with spread: machine runs one instance per machine", arguments: StoreKind.allCases)
    func spreadRunsOneInstancePerMachine(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "spread") { cluster in
            let script = try cluster.write("record.sh", PidRecord.script(directory: cluster.directory), executable: true)
            let spec = try cluster.write("spread.yaml", """
                version: 1
                stacks:
                  spread:
                    count: 3
                    spread: machine
                    units:
                      worker:
                        exec: [/bin/sh, \(script)]
                        resources: { cpu: 10m, memory: 8Mi }
                        restart: always
                """)
            let applied = try await cluster.cli(["apply", "-f", spec, "--timeout", "60s"])
            try #require(applied.status == 0, "\(applied)\n\(cluster.logTails())")
            #expect(applied.stdout.contains("all 3 instances running"), "\(applied)")

            let status = try await cluster.cli(["status", "spread", "-o", "json"])
            try #require(status.status == 0, "\(status)")
            #expect(status.stdout.contains(#""since" : "20"#), "times are RFC 3339 in -o json:\n\(status.stdout)")
            let report = try await cluster.client().status(stack: "spread")
            let running = report.running(stack: "spread")
            try #require(running.count == 3, "expected 3 running instances:\n\(report.summary)")
            let machines = Set(cluster.agents.map(\.machineID))
            #expect(Set(running.values) == machines, "one instance per machine:\n\(report.summary)")

            for (instance, machine) in running.sorted(by: { $0.key < $1.key }) {
                let unit = try #require(report.status(instance, "worker"))
                // `running` means spawned; the script writes its pid file a moment later.
                let record = try await eventually("\(instance) on \(machine) writes its pid file", timeout: .seconds(10)) {
                    PidRecord.read(directory: cluster.directory, instance: instance, machine: machine)
                }
                #expect(unit.pid == record.pid, "\(instance): status pid \(unit.pid ?? -1), the process says \(record.pid)")
                #expect(UnitProcesses.isAlive(record.pid), "\(instance): process \(record.pid) is not running")
                let environment = UnitProcesses.environment(of: record.pid)
                #expect(environment["FLOTILLA_MACHINE"] == machine && environment["FLOTILLA_INSTANCE"] == instance)
            }
            // Seen from /proc: exactly one unit process per machine.
            let processes = UnitProcesses.find(machines: machines)
            let perMachine = Dictionary(grouping: processes, by: \.machine).mapValues(\.count)
            #expect(perMachine == Dictionary(uniqueKeysWithValues: machines.map { ($0, 1) }), "unit processes: \(processes)")
        }
    }
}
