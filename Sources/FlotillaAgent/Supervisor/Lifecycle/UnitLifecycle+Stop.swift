import FlotillaModel

extension UnitLifecycle {
    mutating func stop(_ step: inout Step) {
        stopRequested = true
        switch phase {
        case .dead, .failed: break
        case .autoRestart:
            deadline = nil
            phase = .dead
        case .startPre, .startMain, .startPost:
            enterStopSignal(&step) // not up yet: ExecStop is skipped, as in systemd
        case .running:
            enterStop(0, &step)
        case .stop, .stopSignal, .stopKill, .stopPost:
            break // already on its way down; the stop request only rules out a restart
        }
    }

    mutating func fence(_ step: inout Step) {
        let wasDown = phase == .dead || phase == .failed || phase == .autoRestart
        fenced = true
        stopRequested = true
        if !wasDown {
            lastError = "stopped by fencing: the machine's lease could not be renewed"
            step.actions.append(.note(lastError!))
        }
        switch phase {
        case .dead, .failed: return
        case .autoRestart:
            deadline = nil
            phase = .dead
        default:
            step.actions.append(.signal(.unit, SignalNumbers.kill))
            controlCommand = nil
            if hasProcesses {
                phase = .stopKill
                deadline = step.now + Timing.killWait
            } else {
                enterDead(&step)
            }
        }
    }

    /// Runs `ExecStop[index]` (only for runs that came up), then signals the unit.
    mutating func enterStop(_ index: Int, _ step: inout Step) {
        guard index < spec.execStop.count else { return enterStopSignal(&step) }
        spawnControl(spec.execStop[index], .stop, phase: .stop(index), timeout: spec.timeoutStopSec, &step)
    }

    /// Sends `KillSignal` (then SIGCONT) to everything the unit runs and waits
    /// `TimeoutStopSec`; with nothing left alive, sweeps leftovers and runs `ExecStopPost`.
    mutating func enterStopSignal(_ step: inout Step) {
        guard hasProcesses else {
            step.actions.append(.signal(.unit, SignalNumbers.kill))
            return enterStopPost(0, &step)
        }
        phase = .stopSignal
        let signal = SignalNumbers.number(spec.killSignal) ?? SignalNumbers.term
        step.actions.append(.signal(.unit, signal))
        if signal != SignalNumbers.kill { step.actions.append(.signal(.unit, SignalNumbers.cont)) }
        deadline = spec.timeoutStopSec > 0 ? step.now + spec.timeoutStopSec : nil
    }

    /// Main and control processes are gone: SIGKILL whatever they left behind, then
    /// `ExecStopPost` (skipped when fenced).
    mutating func finishKill(_ step: inout Step) {
        step.actions.append(.signal(.unit, SignalNumbers.kill))
        if fenced { return enterDead(&step) }
        enterStopPost(0, &step)
    }

    /// Runs `ExecStopPost[index]`; after the last one the run is over.
    mutating func enterStopPost(_ index: Int, _ step: inout Step) {
        guard index < spec.execStopPost.count, !fenced else { return enterDead(&step) }
        spawnControl(spec.execStopPost[index], .stopPost, phase: .stopPost(index), timeout: spec.timeoutStopSec, &step)
    }

    /// The run is over: restart per `Restart=` (with back-off), or settle.
    mutating func enterDead(_ step: inout Step) {
        deadline = nil
        main = nil
        control = nil
        if let runStarted, step.now - runStarted >= Timing.longRun { streak = 0 }
        runStarted = nil
        if !fenced && !stopRequested && Self.shouldRestart(spec.restart, result) {
            let delay = Self.restartDelay(spec.restartSec, streak: streak)
            streak += 1
            phase = .autoRestart
            deadline = step.now + delay
            step.actions.append(.note("restarting in \(Timing.format(delay)) s (Restart=\(spec.restart.rawValue))"))
            return
        }
        phase = result == .success || fenced ? .dead : .failed
        step.actions.append(.note(phase == .dead ? "stopped" : "failed"))
    }

    /// A deadline passed.
    mutating func timedOut(_ step: inout Step) {
        switch phase {
        case .startPre, .startMain, .startPost:
            fail(.timeout, "\(stageName) timed out after \(Timing.format(spec.timeoutStartSec)) s (TimeoutStartSec)", &step)
            enterStopSignal(&step)
        case .stop:
            fail(.timeout, "ExecStop timed out after \(Timing.format(spec.timeoutStopSec)) s (TimeoutStopSec)", &step)
            enterStopSignal(&step)
        case .stopSignal:
            fail(.timeout, "still running \(Timing.format(spec.timeoutStopSec)) s after \(spec.killSignal) (TimeoutStopSec); sent SIGKILL", &step)
            step.actions.append(.signal(.unit, SignalNumbers.kill))
            phase = .stopKill
            deadline = step.now + (spec.timeoutStopSec > 0 ? spec.timeoutStopSec : Timing.killWait)
        case .stopKill:
            let pids = [main, control].compactMap { $0 }.map(String.init).joined(separator: ", ")
            lastError = "process \(pids) still there after SIGKILL; giving up waiting for it"
            step.actions.append(.note(lastError!))
            main = nil
            control = nil
            fenced ? enterDead(&step) : enterStopPost(0, &step)
        case .stopPost(let index):
            lastError = "ExecStopPost timed out after \(Timing.format(spec.timeoutStopSec)) s; killed"
            step.actions.append(.note(lastError!))
            step.actions.append(.signal(.control, SignalNumbers.kill))
            control = nil
            enterStopPost(index + 1, &step)
        case .autoRestart:
            restarts += 1
            start(&step)
        case .dead, .failed, .running:
            break
        }
    }

    /// systemd's `Restart=` table.
    package static func shouldRestart(_ policy: RestartPolicy, _ result: RunResult) -> Bool {
        switch policy {
        case .no: false
        case .onWatchdog: result == .watchdog
        case .always: true
        case .onSuccess: result == .success
        case .onFailure: result != .success
        case .onAbnormal: result == .signal || result == .timeout || result == .watchdog
        case .onAbort: result == .signal
        }
    }

    /// `RestartSec` doubled for each consecutive restart, capped at ``Timing/maxBackoff``
    /// (or `RestartSec` itself when that is larger).
    package static func restartDelay(_ restartSec: Double, streak: Int) -> Double {
        guard streak > 0 else { return restartSec }
        let base = max(restartSec, 0.1)
        let doubled = base * Double(1 << min(streak, 20))
        return min(doubled, max(Timing.maxBackoff, restartSec))
    }
}

/// The lifecycle's fixed times, in seconds.
package enum Timing {
    /// Longest back-off between automatic restarts.
    package static let maxBackoff: Double = 60
    /// A run at least this long resets the back-off.
    package static let longRun: Double = 10
    /// How long to wait for processes after SIGKILL when `TimeoutStopSec` gives no bound.
    package static let killWait: Double = 10

    /// `0.5`, `2`, `90`.
    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String((seconds * 1000).rounded() / 1000)
    }
}
