@testable import FlotillaAgent
import FlotillaModel
import Testing

@Suite("Unit lifecycle: stopping and fencing")
struct LifecycleStopTests {
    /// A started simple unit.
    private func running(_ spec: UnitSpec) -> LifecycleHarness {
        var h = LifecycleHarness(spec)
        h.start()
        precondition(h.state == .running)
        return h
    }

    @Test("stop: ExecStop, then KillSignal (and SIGCONT) to the unit, then ExecStopPost; exited")
    func stopSequence() {
        var h = running(unit(stop: ["/bin/stop"], stopPost: ["/bin/post"], killSignal: "SIGINT"))
        h.stop()
        #expect(h.state == .stopping)
        #expect(h.spawns.last == "ExecStop /bin/stop")
        #expect(h.lifecycle.main != nil)
        h.controlExits(.exited(0))
        #expect(h.signals == ["unit SIGINT", "unit SIGCONT"])
        h.mainExits(.signaled(2))
        #expect(h.signals.last == "unit SIGKILL") // leftovers swept
        #expect(h.spawns.last == "ExecStopPost /bin/post")
        h.controlExits(.exited(0))
        #expect(h.state == .exited)
        #expect(h.lifecycle.lastError == nil)
    }

    @Test("ExecStop that already ended the main process: no signal wait")
    func execStopKillsMain() {
        var h = running(unit(stop: ["/bin/kill-it"]))
        h.stop()
        h.mainExits(.exited(0))
        h.controlExits(.exited(0))
        #expect(!h.signals.contains("unit SIGTERM"))
        #expect(h.state == .exited)
    }

    @Test("TimeoutStopSec: a main process that survives KillSignal gets SIGKILL; the unit ends failed (timeout)")
    func stopTimeoutEscalates() {
        var h = running(unit(timeoutStop: 4))
        h.stop()
        #expect(h.wait == 4)
        h.advance(3)
        #expect(h.signals == ["unit SIGTERM", "unit SIGCONT"])
        h.advance(1)
        #expect(h.signals.last == "unit SIGKILL")
        #expect(h.lastErrorMentions("SIGKILL", "TimeoutStopSec"))
        h.mainExits(.signaled(9))
        #expect(h.state == .failed)
    }

    @Test("TimeoutStopSec=0 waits for the main process without a deadline")
    func noStopTimeout() {
        var h = running(unit(timeoutStop: 0))
        h.stop()
        #expect(h.lifecycle.deadline == nil)
        h.advance(3_600)
        #expect(h.state == .stopping)
        h.mainExits(.signaled(15))
        #expect(h.state == .exited)
    }

    @Test("a hanging ExecStop is cut short after TimeoutStopSec and the unit is signalled")
    func execStopTimeout() {
        var h = running(unit(stop: ["/bin/hang"], timeoutStop: 2))
        h.stop()
        h.advance(2)
        #expect(h.signals == ["unit SIGTERM", "unit SIGCONT"])
        h.controlExits(.signaled(15))
        h.mainExits(.signaled(15))
        #expect(h.state == .failed)
        #expect(h.lastErrorMentions("ExecStop timed out"))
    }

    @Test("a failing ExecStop is noted and the stop goes on; '-' hides it")
    func execStopFailure() {
        var h = running(unit(stop: ["/bin/a", "-/bin/b"]))
        h.stop()
        h.controlExits(.exited(1))
        #expect(h.spawns.last == "ExecStop /bin/b")
        h.controlExits(.exited(1))
        h.mainExits(.signaled(15))
        #expect(h.state == .exited)
        #expect(h.lastErrorMentions("ExecStop", "/bin/a", "exited 1"))
    }

    @Test("a hanging ExecStopPost is killed after TimeoutStopSec and the next one runs")
    func stopPostTimeout() {
        var h = running(unit(stopPost: ["/bin/hang", "/bin/next"], timeoutStop: 1))
        h.stop()
        h.mainExits(.signaled(15))
        h.advance(1)
        #expect(h.signals.last == "control SIGKILL")
        #expect(h.spawns.last == "ExecStopPost /bin/next")
        h.controlExits(.exited(0))
        #expect(h.state == .exited)
    }

    @Test("stop while ExecStartPre runs: the control process is signalled, ExecStop is skipped")
    func stopWhileStarting() {
        var h = LifecycleHarness(unit(pre: ["/bin/slow"], stop: ["/bin/stop"], stopPost: ["/bin/post"]))
        h.start()
        h.stop()
        #expect(h.signals == ["unit SIGTERM", "unit SIGCONT"])
        h.controlExits(.signaled(15))
        #expect(h.spawns == ["ExecStartPre /bin/slow", "ExecStopPost /bin/post"])
        h.controlExits(.exited(0))
        #expect(h.state == .exited)
    }

    @Test("stop while waiting to restart: exited at once, nothing spawned")
    func stopWhileRestarting() {
        var h = running(unit(restart: .always))
        h.mainExits(.exited(1))
        #expect(h.state == .restarting)
        let spawned = h.spawns.count
        h.stop()
        #expect(h.state == .exited)
        h.advance(100)
        #expect(h.spawns.count == spawned)
    }

    @Test("an explicit stop never restarts, even with Restart=always")
    func stopPreventsRestart() {
        var h = running(unit(restart: .always))
        h.stop()
        h.mainExits(.signaled(15))
        #expect(h.state == .exited)
        #expect(h.lifecycle.deadline == nil)
    }

    @Test("fence: SIGKILL to the unit at once, no ExecStop or ExecStopPost, no restart")
    func fence() {
        var h = running(unit(stop: ["/bin/stop"], stopPost: ["/bin/post"], restart: .always))
        h.send(.fence)
        #expect(h.signals == ["unit SIGKILL"])
        #expect(h.state == .stopping)
        h.mainExits(.signaled(9))
        #expect(h.state == .exited)
        #expect(h.spawns == ["ExecStart /srv/main"])
        #expect(h.lastErrorMentions("fencing"))
        h.advance(100)
        #expect(h.state == .exited)
    }

    @Test("fence during ExecStop kills the stop command too")
    func fenceDuringStop() {
        var h = running(unit(stop: ["/bin/slow-stop"]))
        h.stop()
        h.send(.fence)
        #expect(h.signals == ["unit SIGKILL"])
        h.controlExits(.signaled(9))
        #expect(h.state == .stopping)
        h.mainExits(.signaled(9))
        #expect(h.state == .exited)
    }

    @Test("exits of processes the lifecycle no longer tracks are ignored")
    func staleExit() {
        var h = running(unit())
        h.send(.exited(pid: 4242, .exited(1)))
        #expect(h.state == .running)
    }

    @Test("a restored running unit stops like a started one")
    func restored() {
        let lifecycle = UnitLifecycle(spec: unit(stop: ["/bin/stop"]), restoring: .running(main: 777), restarts: 2, lastError: nil, now: 5)
        var h = LifecycleHarness(unit())
        h.lifecycle = lifecycle
        #expect(h.state == .running)
        #expect(h.lifecycle.restarts == 2)
        h.stop()
        #expect(h.spawns == ["ExecStop /bin/stop"])
        h.controlExits(.exited(0))
        h.send(.exited(pid: 777, .unknown))
        #expect(h.state == .exited)
    }
}
