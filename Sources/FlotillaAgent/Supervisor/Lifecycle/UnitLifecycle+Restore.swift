import FlotillaModel

extension UnitLifecycle {
    /// How a unit was when an earlier agent run recorded it, checked against the machine.
    package enum Restored: Sendable, Hashable {
        /// Up; `main` is the adopted process (nil for a finished oneshot with
        /// `RemainAfterExit` or a forking unit without a tracked process).
        case running(main: Int32?)
        /// Down on purpose, or a oneshot that finished.
        case exited
        /// Down after a failure.
        case failed
    }

    /// A lifecycle that continues a run an earlier agent process started.
    package init(spec: UnitSpec, restoring restored: Restored, restarts: Int, lastError: String?, now: Double) {
        self.init(spec: spec, now: now)
        self.restarts = restarts
        self.lastError = lastError
        startedOnce = true
        switch restored {
        case .running(let pid):
            phase = .running
            main = pid
            runStarted = now
        case .exited:
            phase = .dead
        case .failed:
            phase = .failed
        }
    }
}
