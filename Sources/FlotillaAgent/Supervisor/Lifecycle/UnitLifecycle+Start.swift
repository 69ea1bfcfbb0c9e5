import FlotillaModel

extension UnitLifecycle {
    mutating func start(_ step: inout Step) {
        switch phase {
        case .dead, .failed, .autoRestart:
            result = .success
            stopRequested = false
            fenced = false
            startedOnce = true
            deadline = nil
            runStarted = nil
            earlyMainExit = nil
            enterStartPre(0, &step)
        default:
            break // already starting, running or stopping
        }
    }

    /// Runs `ExecStartPre[index]`, or moves on to `ExecStart` after the last one.
    mutating func enterStartPre(_ index: Int, _ step: inout Step) {
        guard index < spec.execStartPre.count else { return enterStartMain(0, &step) }
        spawnControl(spec.execStartPre[index], .startPre, phase: .startPre(index), timeout: spec.timeoutStartSec, &step)
    }

    /// Starts `ExecStart[index]` as the main process. Simple units have one; a oneshot runs
    /// each in turn (and may have none).
    mutating func enterStartMain(_ index: Int, _ step: inout Step) {
        guard index < spec.execStart.count else {
            if spec.execStart.isEmpty && !waitsForMainExit {
                fail(.exitCode, "the unit has no ExecStart command", &step)
                return enterStopSignal(&step)
            }
            return enterStartPost(0, &step)
        }
        phase = .startMain(index)
        deadline = waitsForMainExit && spec.timeoutStartSec > 0 ? step.now + spec.timeoutStartSec : nil
        step.actions.append(.spawn(.main, spec.execStart[index], .start))
    }

    mutating func mainSpawned(_ pid: Int32, _ step: inout Step) {
        main = pid
        if runStarted == nil { runStarted = step.now }
        // simple/exec: up once exec succeeded; oneshot/forking wait for the exit.
        if case .startMain = phase, !waitsForMainExit { enterStartPost(0, &step) }
    }

    /// Runs `ExecStartPost[index]`, or is up after the last one.
    mutating func enterStartPost(_ index: Int, _ step: inout Step) {
        guard index < spec.execStartPost.count else { return enterRunning(&step) }
        spawnControl(spec.execStartPost[index], .startPost, phase: .startPost(index), timeout: spec.timeoutStartSec, &step)
    }

    mutating func enterRunning(_ step: inout Step) {
        phase = .running
        deadline = nil
        if let status = earlyMainExit {
            earlyMainExit = nil
            return mainEndedWhileRunning(status, &step)
        }
        if spec.type == .oneshot && !spec.remainAfterExit {
            return enterStop(0, &step) // finished: ExecStop and ExecStopPost still run, as in systemd
        }
        step.actions.append(.note("started"))
    }

    /// Starts a control command and waits for it (with `timeout` seconds, 0 = none).
    mutating func spawnControl(_ command: ExecCommand, _ stage: CommandStage, phase: Phase, timeout: Double, _ step: inout Step) {
        self.phase = phase
        controlCommand = command
        deadline = timeout > 0 ? step.now + timeout : nil
        step.actions.append(.spawn(.control, command, stage))
    }

    /// A control command ended (or could not start: `reason`).
    mutating func controlEnded(_ status: ProcessExit, reason: String?, _ step: inout Step) {
        let command = controlCommand
        controlCommand = nil
        let ignore = command?.ignoreFailure ?? false
        let ok = status.isSuccess || ignore
        let what = reason.map { "\(stageName): \($0)" } ?? "\(stageName) '\(command?.arguments.first ?? "?")' \(status)"
        if !status.isSuccess && ignore { step.actions.append(.note(what + " (ignored: '-' prefix)")) }
        switch phase {
        case .startPre(let index):
            if ok { return enterStartPre(index + 1, &step) }
            lastExit = status   // the unit's last exit is the command that failed it
            fail(RunResult(status, type: .oneshot), what, &step)
            enterStopSignal(&step)
        case .startPost(let index):
            if ok { return enterStartPost(index + 1, &step) }
            lastExit = status
            fail(RunResult(status, type: .oneshot), what, &step)
            enterStop(0, &step)
        case .stop(let index):
            if !ok { lastError = what; step.actions.append(.note(what)) }
            enterStop(index + 1, &step)
        case .stopPost(let index):
            if !ok { lastError = what; step.actions.append(.note(what)) }
            enterStopPost(index + 1, &step)
        case .stopSignal, .stopKill:
            if main == nil { finishKill(&step) }
        default:
            break
        }
    }

    /// The main process ended (or could not start: `reason`).
    mutating func mainEnded(_ status: ProcessExit, reason: String?, _ step: inout Step) {
        switch phase {
        case .startMain(let index):
            let command = spec.execStart[index]
            let what = reason.map { "ExecStart: \($0)" } ?? "ExecStart '\(command.arguments.first ?? "?")' \(status)"
            if status.isSuccess || command.ignoreFailure {
                if !status.isSuccess { step.actions.append(.note(what + " (ignored: '-' prefix)")) }
                if waitsForMainExit { return enterStartMain(index + 1, &step) }
                return enterStopSignal(&step)
            }
            fail(reason == nil ? RunResult(status, type: spec.type) : .exitCode, what, &step)
            enterStopSignal(&step)
        case .startPost:
            earlyMainExit = status
        case .running:
            mainEndedWhileRunning(status, &step)
        case .stopSignal, .stopKill:
            if control == nil { finishKill(&step) }
        default:
            break // during ExecStop: expected
        }
    }

    mutating func mainEndedWhileRunning(_ status: ProcessExit, _ step: inout Step) {
        let ignore = spec.execStart.first?.ignoreFailure ?? false
        let result = ignore ? .success : RunResult(status, type: spec.type)
        if result == .success {
            step.actions.append(.note("main process \(status)"))
        } else {
            fail(result, "main process \(status)", &step)
        }
        enterStop(0, &step)
    }

    /// The `Exec*=` name of the phase, for messages.
    var stageName: String {
        switch phase {
        case .startPre: CommandStage.startPre.rawValue
        case .startMain: CommandStage.start.rawValue
        case .startPost: CommandStage.startPost.rawValue
        case .stop: CommandStage.stop.rawValue
        case .stopPost: CommandStage.stopPost.rawValue
        default: "command"
        }
    }
}
