import FlotillaAPI
import FlotillaModel
import Foundation
import Glibc
import Testing

extension ClusterScenarioTests {
    /// The agent running an `exclusive` unit is frozen (SIGSTOP) for longer than its TTL: it
    /// can neither renew its lease nor fence, but its fence watchdog kills the unit before the
    /// lease expires. The controller moves the instance once the lease expired. The outside
    /// observer must never see two copies at once. After SIGCONT, the old copy stays gone.
    @Test("an exclusive unit whose agent is frozen past its TTL", arguments: StoreKind.allCases)
    func exclusiveUnitWithFrozenAgent(_ kind: StoreKind) async throws {
        try await TestCluster.with(kind, agents: 3, name: "exclusive-stop") { cluster in
            let (observer, client, first) = try await startGuarded(on: cluster)
            let victim = try cluster.agent(machine: first)
            let survivor = cluster.agents.first { $0.index != 1 && $0.machineID != first }!.machineID
            let oldPID = try #require(try await client.status(stack: "guarded").status("guarded@1", "lock")?.pid)
            try #require(UnitProcesses.environment(of: oldPID)["FLOTILLA_MACHINE"] == first, "pid \(oldPID) is the unit on \(first)")

            victim.process.signal(SIGSTOP)
            let stoppedAt = ContinuousClock.now
            // Its fence watchdog kills the exclusive unit before the lease can expire.
            let killedAt = try? await eventually("pid \(oldPID) killed while its agent is frozen", timeout: .seconds(cluster.ttl + 5),
                                                 interval: .milliseconds(20)) {
                UnitProcesses.isAlive(oldPID) ? nil : Date().timeIntervalSince1970
            }
            print("exclusive/SIGSTOP [\(kind.rawValue)]: old copy gone \(stoppedAt.duration(to: .now)) after SIGSTOP")
            #expect(killedAt != nil, "the fence watchdog did not kill pid \(oldPID) while its agent was frozen")
            // The controller reassigns guarded@1 once the frozen machine's lease expired.
            _ = try await eventually("guarded@1 assigned to \(survivor)", timeout: .seconds(30)) {
                let report = try await client.status(stack: "guarded")
                return report.instances.first { $0.instance == "guarded@1" }?.machine == survivor ? true : nil
            }
            print("exclusive/SIGSTOP [\(kind.rawValue)]: guarded@1 reassigned \(stoppedAt.duration(to: .now)) after SIGSTOP")
            try await Task.sleep(for: .seconds(2)) // the replacement tries to start meanwhile
            let stillRunning = UnitProcesses.isAlive(oldPID)

            victim.process.signal(SIGCONT)
            let continuedAt = ContinuousClock.now
            // Back, the agent finds its lease gone: it fences (SIGKILL) or sees the assignment
            // deleted (SIGTERM); either way the stale copy must end.
            _ = try await eventually("the frozen agent to stop its stale copy (pid \(oldPID)) after SIGCONT", timeout: .seconds(20)) {
                UnitProcesses.isAlive(oldPID) ? nil : true
            }
            let staleGone = Date().timeIntervalSince1970
            print("exclusive/SIGSTOP [\(kind.rawValue)]: stale copy stopped \(continuedAt.duration(to: .now)) after SIGCONT")
            try await waitForAcquire(observer, by: survivor, timeout: .seconds(30))
            #expect(try await client.status(stack: "guarded").running(stack: "guarded")["guarded@1"] == survivor)

            // A frozen agent can neither renew its lease nor fence; its fence watchdog (a
            // process of its own) kills the exclusive unit before the lease can expire, so the
            // replacement the controller starts elsewhere never overlaps it.
            let overlaps = observer.overlaps(killed: [first: killedAt ?? staleGone])
            print("exclusive/SIGSTOP [\(kind.rawValue)]: old copy still running while its agent was frozen: \(stillRunning); "
                  + "\(overlaps.count) overlap(s); lock log:\n\(observer.transcript())")
            #expect(!stillRunning, "pid \(oldPID) still ran when its replacement was due")
            #expect(overlaps.isEmpty, "two copies ran at once:\n\(overlaps.joined(separator: "\n"))")
        }
    }
}
