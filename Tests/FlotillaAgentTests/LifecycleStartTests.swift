@testable import FlotillaAgent
import FlotillaModel
import Testing

@Suite("Unit lifecycle: starting")
struct LifecycleStartTests {
    @Test("simple: pre commands in order, then main, then post; running once post is done")
    func simpleStartOrder() {
        var h = LifecycleHarness(unit(pre: ["/bin/a", "/bin/b"], post: ["/bin/p"]))
        #expect(h.state == .pending)
        h.start()
        #expect(h.spawns == ["ExecStartPre /bin/a"])
        #expect(h.state == .starting)
        h.controlExits(.exited(0))
        #expect(h.spawns.last == "ExecStartPre /bin/b")
        h.controlExits(.exited(0))
        #expect(h.spawns.suffix(2) == ["ExecStart /srv/main", "ExecStartPost /bin/p"])
        #expect(h.lifecycle.main != nil)
        #expect(h.state == .starting)
        h.controlExits(.exited(0))
        #expect(h.state == .running)
        #expect(h.states == [.pending, .starting, .running])
        #expect(h.lifecycle.since == h.now)
    }

    @Test("a failing ExecStartPre fails the unit; main never runs; ExecStopPost still runs")
    func preFailure() {
        var h = LifecycleHarness(unit(pre: ["/bin/check"], stop: ["/bin/stop"], stopPost: ["/bin/cleanup"]))
        h.start()
        h.controlExits(.exited(3))
        #expect(h.spawns == ["ExecStartPre /bin/check", "ExecStopPost /bin/cleanup"])
        #expect(h.state == .stopping)
        h.controlExits(.exited(0))
        #expect(h.state == .failed)
        #expect(h.lastErrorMentions("ExecStartPre", "/bin/check", "exited 3"))
        #expect(h.lifecycle.lastExit == .exited(3), "the failing command's exit is the unit's last exit (status shows it)")
    }

    @Test("'-' ignores a failing ExecStartPre, and one that cannot be executed")
    func dashIgnoresFailure() {
        var h = LifecycleHarness(unit(pre: ["-/bin/false", "-/bin/missing"]))
        h.unstartable = ["/bin/missing"]
        h.start()
        h.controlExits(.exited(1))
        #expect(h.state == .running)
        #expect(h.spawns == ["ExecStartPre /bin/false", "ExecStartPre /bin/missing", "ExecStart /srv/main"])
        #expect(h.log.contains { $0.contains("ignored: '-' prefix") })
        #expect(h.lifecycle.lastError == nil)
    }

    @Test("an ExecStartPre that cannot be executed fails the unit")
    func preSpawnFailure() {
        var h = LifecycleHarness(unit(pre: ["/bin/missing"]))
        h.unstartable = ["/bin/missing"]
        h.start()
        #expect(h.state == .failed)
        #expect(h.lastErrorMentions("ExecStartPre", "not found"))
        #expect(h.lifecycle.lastExit == .exited(203))
    }

    @Test("a main process that cannot be executed fails the unit (and restarts under on-failure)")
    func mainSpawnFailure() {
        var h = LifecycleHarness(unit(start: ["/srv/missing"], restart: .onFailure, restartSec: 2))
        h.unstartable = ["/srv/missing"]
        h.start()
        #expect(h.state == .restarting)
        #expect(h.wait == 2)
        #expect(h.lastErrorMentions("ExecStart", "not found"))
        #expect(h.lifecycle.lastExit == .exited(203), "the last exit says so (systemd's 203/EXEC), so status never shows '-'")
    }

    @Test("a failing ExecStartPost runs ExecStop, stops the main process and fails the unit")
    func postFailure() {
        var h = LifecycleHarness(unit(post: ["/bin/register"], stop: ["/bin/stop"]))
        h.start()
        h.controlExits(.exited(1))
        #expect(h.spawns.last == "ExecStop /bin/stop")
        h.controlExits(.exited(0))
        #expect(h.signals == ["unit SIGTERM", "unit SIGCONT"])
        h.mainExits(.signaled(15))
        #expect(h.state == .failed)
        #expect(h.lastErrorMentions("ExecStartPost"))
    }

    @Test("the main process ending during ExecStartPost is handled once post is done")
    func mainEndsDuringPost() {
        var h = LifecycleHarness(unit(post: ["/bin/slow"], restart: .onFailure))
        h.start()
        h.mainExits(.exited(2))
        #expect(h.state == .starting)
        h.controlExits(.exited(0))
        #expect(h.state == .restarting)
        #expect(h.lifecycle.lastExit == .exited(2))
    }

    @Test("oneshot: ExecStart lines run one after another; exited when all succeed; ExecStop/StopPost run")
    func oneshot() {
        var h = LifecycleHarness(unit(type: .oneshot, start: ["/bin/one", "/bin/two"], stop: ["/bin/s"], stopPost: ["/bin/sp"]))
        h.start()
        #expect(h.state == .starting)
        h.mainExits(.exited(0))
        #expect(h.spawns.last == "ExecStart /bin/two")
        #expect(h.state == .starting)
        h.mainExits(.exited(0))
        #expect(h.spawns.suffix(1) == ["ExecStop /bin/s"])
        h.controlExits(.exited(0))
        #expect(h.spawns.last == "ExecStopPost /bin/sp")
        h.controlExits(.exited(0))
        #expect(h.state == .exited)
        #expect(!h.states.contains(.running))
    }

    @Test("oneshot: a failing ExecStart stops the sequence and fails the unit")
    func oneshotFailure() {
        var h = LifecycleHarness(unit(type: .oneshot, start: ["/bin/one", "/bin/two", "/bin/three"]))
        h.start()
        h.mainExits(.exited(0))
        h.mainExits(.exited(4))
        #expect(h.state == .failed)
        #expect(!h.spawns.contains("ExecStart /bin/three"))
        #expect(h.lastErrorMentions("/bin/two", "exited 4"))
    }

    @Test("oneshot with RemainAfterExit stays running; stop runs ExecStop and exits")
    func oneshotRemain() {
        var h = LifecycleHarness(unit(type: .oneshot, start: ["/bin/setup"], stop: ["/bin/teardown"], remain: true))
        h.start()
        h.mainExits(.exited(0))
        #expect(h.state == .running)
        #expect(h.lifecycle.main == nil)
        h.stop()
        #expect(h.spawns.last == "ExecStop /bin/teardown")
        h.controlExits(.exited(0))
        #expect(h.state == .exited)
    }

    @Test("oneshot: a signal is never a clean exit")
    func oneshotSignal() {
        var h = LifecycleHarness(unit(type: .oneshot, start: ["/bin/job"]))
        h.start()
        h.mainExits(.signaled(15))
        #expect(h.state == .failed)
    }

    @Test("TimeoutStartSec: a hanging ExecStartPre is killed and the unit fails with a timeout")
    func startTimeout() {
        var h = LifecycleHarness(unit(pre: ["/bin/hang"], restart: .onAbnormal, timeoutStart: 3, timeoutStop: 2))
        h.start()
        #expect(h.wait == 3)
        h.advance(2)
        #expect(h.state == .starting)
        h.advance(1)
        #expect(h.signals == ["unit SIGTERM", "unit SIGCONT"])
        #expect(h.lastErrorMentions("timed out", "TimeoutStartSec"))
        h.advance(2)
        #expect(h.signals.last == "unit SIGKILL")
        h.controlExits(.signaled(9))
        #expect(h.state == .restarting) // on-abnormal restarts after a timeout
    }

    @Test("a simple unit without ExecStart fails")
    func noExecStart() {
        var h = LifecycleHarness(unit(start: []))
        h.start()
        #expect(h.state == .failed)
        #expect(h.lastErrorMentions("no ExecStart"))
    }

    @Test("forking: up once the started process exits 0; stop signals what it left")
    func forking() {
        var h = LifecycleHarness(unit(type: .forking, start: ["/usr/sbin/daemon"]))
        h.start()
        #expect(h.state == .starting)
        h.mainExits(.exited(0))
        #expect(h.state == .running)
        h.stop()
        #expect(h.signals == ["unit SIGKILL"]) // nothing tracked alive: swept at once
        #expect(h.state == .exited)
    }

    @Test("start is ignored while starting, running or stopping")
    func startIdempotent() {
        var h = LifecycleHarness(unit())
        h.start()
        h.start()
        #expect(h.spawns == ["ExecStart /srv/main"])
        h.stop()
        h.start()
        #expect(h.state == .stopping)
    }
}

extension LifecycleHarness {
    /// True when lastError contains every fragment.
    func lastErrorMentions(_ fragments: String...) -> Bool {
        guard let error = lifecycle.lastError else { return false }
        return fragments.allSatisfy { error.contains($0) }
    }
}
