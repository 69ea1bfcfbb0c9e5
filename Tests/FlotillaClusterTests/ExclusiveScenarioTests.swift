import FlotillaAPI
import FlotillaModel
import Foundation
import Glibc
import Testing

extension ClusterScenarioTests {
    /// An `exclusive` unit whose machine is SIGKILLed (agent and units) moves, and an outside
    /// observer (an flock on a shared file, logged by every copy) never sees two copies at once.
    @Test("an exclusive unit never runs twice across a kill and move", arguments: StoreKind.allCases)
    func exclusiveUnitAcrossKill(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "exclusive-kill") { cluster in
            let (observer, client, first) = try await startGuarded(on: cluster)
            let victim = try cluster.agent(machine: first)
            let survivor = cluster.agents.first { $0.index != 1 && $0.machineID != first }!.machineID

            let killedAt = Date().timeIntervalSince1970
            cluster.killMachine(victim)
            try await waitForAcquire(observer, by: survivor, timeout: .seconds(30))
            let moved = (observer.entries().first { $0.kind == .acquire && $0.machine == survivor }?.time ?? 0) - killedAt
            print("figure: exclusive move [\(kind.rawValue)] SIGKILL → lock acquired on the other machine: \(String(format: "%.2f", moved)) s (TTL \(cluster.ttl) s)")
            try await Task.sleep(for: .seconds(1)) // a late second copy would show up here
            let overlaps = observer.overlaps(killed: [first: killedAt])
            #expect(overlaps.isEmpty, "two copies ran at once:\n\(overlaps.joined(separator: "\n"))\nlog:\n\(observer.transcript())")
            #expect(try await client.status(stack: "guarded").running(stack: "guarded")["guarded@1"] == survivor)
        }
    }

    /// Starts the `guarded` stack (one exclusive flock unit, machines 2 and 3 only) and waits
    /// until its copy holds the lock; returns the observer, a client of agent 1 and the machine.
    func startGuarded(on cluster: TestCluster) async throws -> (LockObserver, APIClient, String) {
        let observer = LockObserver(directory: cluster.directory)
        try cluster.write("lock.sh", observer.script, executable: true)
        let spec = try cluster.write("guarded.yaml", """
            version: 1
            stacks:
              guarded:
                count: 1
                placement: { metadata: { machine: ["2", "3"] } }
                units:
                  lock:
                    exec: [/bin/sh, \(observer.scriptPath)]
                    exclusive: true
                    restart: always
                    restart_sec: 100ms
                    stop_timeout: 5s
            """)
        let applied = try await cluster.cli(["apply", "-f", spec, "--timeout", "60s"])
        try #require(applied.status == 0, "\(applied)")
        let client = try cluster.client(of: cluster.agent(1), timeout: 2)
        let machine = try #require(try await client.status(stack: "guarded").running(stack: "guarded")["guarded@1"])
        try await waitForAcquire(observer, by: machine, timeout: .seconds(10))
        return (observer, client, machine)
    }

    /// Waits until a copy on `machine` logged `acquire`.
    func waitForAcquire(_ observer: LockObserver, by machine: String, timeout: Duration) async throws {
        _ = try await eventually("the lock acquired on \(machine); log:\n\(observer.transcript())", timeout: timeout) {
            observer.entries().contains { $0.kind == .acquire && $0.machine == machine } ? true : nil
        }
    }
}
