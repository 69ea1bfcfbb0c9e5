@testable import FlotillaAgent
import FlotillaModel
import Testing

@Suite("Unit lifecycle: Restart=")
struct LifecycleRestartTests {
    /// What a started simple unit does when its main process ends with `status`.
    private func outcome(_ policy: RestartPolicy, _ status: ProcessExit, type: ServiceType = .simple) -> UnitState {
        var h = LifecycleHarness(unit(type: type, start: ["/srv/main"], restart: policy))
        h.start()
        if type == .oneshot { h.mainExits(status); return h.state }
        h.mainExits(status)
        return h.state
    }

    @Test("systemd's table: which ends restart under which policy", arguments: [
        (RestartPolicy.no, ProcessExit.exited(1), UnitState.failed),
        (.no, .exited(0), .exited),
        (.always, .exited(0), .restarting),
        (.always, .exited(1), .restarting),
        (.onSuccess, .exited(0), .restarting),
        (.onSuccess, .signaled(15), .restarting), // SIGTERM is a clean exit for simple units
        (.onSuccess, .exited(1), .failed),
        (.onFailure, .exited(0), .exited),
        (.onFailure, .signaled(15), .exited),
        (.onFailure, .signaled(1), .exited),
        (.onFailure, .exited(1), .restarting),
        (.onFailure, .signaled(9), .restarting),
        (.onFailure, .unknown, .restarting),
        (.onAbnormal, .exited(1), .failed),
        (.onAbnormal, .signaled(11), .restarting),
        (.onAbort, .signaled(6), .restarting),
        (.onAbort, .exited(3), .failed),
        (.onWatchdog, .signaled(9), .failed),
    ])
    func table(policy: RestartPolicy, status: ProcessExit, expected: UnitState) {
        #expect(outcome(policy, status) == expected)
    }

    @Test("oneshot: exit 0 finishes without restart under on-failure; a failure restarts")
    func oneshotRestart() {
        #expect(outcome(.onFailure, .exited(0), type: .oneshot) == .exited)
        #expect(outcome(.onFailure, .exited(2), type: .oneshot) == .restarting)
    }

    @Test("'-' on a simple ExecStart makes a non-zero exit clean")
    func dashOnMain() {
        var h = LifecycleHarness(unit(start: ["-/srv/main"], restart: .onFailure))
        h.start()
        h.mainExits(.exited(1))
        #expect(h.state == .exited)
    }

    @Test("RestartSec is waited, then the unit starts again from ExecStartPre and restarts counts")
    func restartWaits() {
        var h = LifecycleHarness(unit(pre: ["/bin/prep"], restart: .onFailure, restartSec: 5))
        h.start()
        h.controlExits(.exited(0))
        h.mainExits(.exited(1))
        #expect(h.state == .restarting)
        #expect(h.wait == 5)
        #expect(h.log.contains { $0.contains("restarting in 5 s") })
        h.advance(4)
        #expect(h.state == .restarting)
        h.advance(1)
        #expect(h.state == .starting)
        #expect(h.lifecycle.restarts == 1)
        #expect(h.spawns.suffix(1) == ["ExecStartPre /bin/prep"])
        #expect(h.lifecycle.lastExit == .exited(1))
    }

    @Test("back-off doubles RestartSec for each consecutive failure, capped at 60 s")
    func backOff() {
        var h = LifecycleHarness(unit(restart: .always, restartSec: 1))
        h.start()
        var waits: [Double] = []
        for _ in 0..<9 {
            h.mainExits(.exited(1))
            waits.append(h.wait ?? -1)
            h.advance(h.wait ?? 0)
        }
        #expect(waits == [1, 2, 4, 8, 16, 32, 60, 60, 60])
        #expect(h.lifecycle.restarts == 9)
    }

    @Test("a run of 10 s or more resets the back-off")
    func backOffResets() {
        var h = LifecycleHarness(unit(restart: .onFailure, restartSec: 1))
        h.start()
        h.mainExits(.exited(1))
        h.advance(1)
        h.mainExits(.exited(1))
        #expect(h.wait == 2)
        h.advance(2)
        h.advance(10) // ran 10 s
        h.mainExits(.exited(1))
        #expect(h.wait == 1)
    }

    @Test("an explicit start after a failure resets the back-off")
    func startResets() {
        var h = LifecycleHarness(unit(restart: .onFailure, restartSec: 1))
        h.start()
        h.mainExits(.exited(1))
        h.advance(1)
        h.mainExits(.exited(1))
        h.stop()
        h.start()
        h.mainExits(.exited(1))
        #expect(h.wait == 1)
    }

    @Test("restart delays: RestartSec=0 restarts at once, then backs off from 0.1 s; a large RestartSec is not capped")
    func delays() {
        #expect(UnitLifecycle.restartDelay(0, streak: 0) == 0)
        #expect(UnitLifecycle.restartDelay(0, streak: 1) == 0.2)
        #expect(UnitLifecycle.restartDelay(0.1, streak: 3) == 0.8)
        #expect(UnitLifecycle.restartDelay(120, streak: 0) == 120)
        #expect(UnitLifecycle.restartDelay(120, streak: 4) == 120)
        #expect(UnitLifecycle.restartDelay(1, streak: 500) == 60)
    }

    @Test("signal names and numbers")
    func signals() {
        #expect(SignalNumbers.number("SIGTERM") == 15)
        #expect(SignalNumbers.number("KILL") == 9)
        #expect(SignalNumbers.number("SIGRTMIN+2") == 36)
        #expect(SignalNumbers.number("SIGNOPE") == nil)
        #expect(SignalNumbers.name(2) == "SIGINT")
        #expect(ProcessExit.signaled(9).description == "killed by SIGKILL")
    }

    @Test("unhealthy while running stops the unit as a watchdog failure: on-failure restarts it, no leaves it failed; elsewhere it is ignored")
    func unhealthyActs() {
        var h = LifecycleHarness(unit(restart: .onFailure, restartSec: 1))
        h.start()
        h.send(.unhealthy("health check failed 3 times in a row"))
        #expect(h.signals == ["unit SIGTERM", "unit SIGCONT"])
        h.mainExits(.signaled(15))
        #expect(h.state == .restarting)
        #expect(h.lifecycle.lastError == "health check failed 3 times in a row")

        var kept = LifecycleHarness(unit(restart: .no))
        kept.start()
        kept.send(.unhealthy("health check failed 1 time in a row"))
        kept.mainExits(.signaled(15))
        #expect(kept.state == .failed)

        var idle = LifecycleHarness(unit(restart: .always))
        idle.send(.unhealthy("too late"))
        #expect(idle.state == .pending && idle.signals.isEmpty)
        #expect(UnitLifecycle.shouldRestart(.onWatchdog, .watchdog) && UnitLifecycle.shouldRestart(.onAbnormal, .watchdog))
        #expect(!UnitLifecycle.shouldRestart(.onWatchdog, .exitCode))
    }
}
