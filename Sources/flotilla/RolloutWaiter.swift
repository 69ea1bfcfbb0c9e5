import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// Follows a rollout until it is over or the time is up, printing a line every time an
/// instance changes phase (`web@1 on m2: starting → running`) and while a stack waits for
/// the controller's decision.
///
/// It watches instead of polling: after the first `GET /v1/status`, each request is a
/// long-poll (`?after=<revision of the last report>`) that the API answers as soon as a
/// stack, decision record, assignment or unit status changes (a store watch), or after at
/// most 20 seconds with nothing new.
struct RolloutWaiter {
    /// How a wait ended.
    enum Ending {
        case ready(RolloutState)
        case unitFailed(RolloutState)
        case unplaced(RolloutState)
        case rolloutFailed(RolloutState)
        case timedOut(RolloutState)
    }

    let client: APIClient
    let rollout: Rollout
    let timeout: Double
    /// Where progress lines go.
    let say: (String) -> Void
    /// Pause after a failed request before asking again (the API is unreachable: nothing to watch).
    var retryInterval: Duration = .seconds(1)
    /// How long a unit without a health check must be seen `running` (on this machine's
    /// clock, so agents' clocks do not matter) before it counts: a unit that crashes as it
    /// starts is then reported as failing instead of running.
    var settle: Duration = .seconds(1)

    /// The state the wait ended in.
    static func state(_ ending: Ending) -> RolloutState {
        switch ending {
        case .ready(let s), .unitFailed(let s), .unplaced(let s), .rolloutFailed(let s), .timedOut(let s): s
        }
    }

    func wait() async throws -> Ending {
        let deadline = Date().addingTimeInterval(timeout)
        var shown: [String: (phase: InstanceProgress.Phase, machine: String?)] = [:]
        var waitingShown: Set<String> = []
        var rolloutShown: [String: String] = [:]
        var state = RolloutState(instances: [])
        var lastProblem: String?
        var seen: Int64?
        // When each unit run (instance, unit, fencing token, state start) was first seen running.
        var runningSeen: [String: ContinuousClock.Instant] = [:]
        var nextSettle: ContinuousClock.Instant?
        while true {
            do {
                let remaining = deadline.timeIntervalSinceNow
                let report: StatusReport
                if let seen {
                    var wait = min(20, max(0, remaining))
                    if let nextSettle { wait = min(wait, max(0, Self.seconds(nextSettle - .now))) }
                    report = try await client.status(after: seen, wait: wait)
                } else {
                    report = try await client.status()
                }
                seen = report.revision
                lastProblem = nil
                let now = ContinuousClock.now
                var stillRunning: [String: ContinuousClock.Instant] = [:]
                nextSettle = nil
                state = rollout.evaluate(report) { instance, unit in
                    guard let status = unit.status else { return true }
                    let key = "\(instance.instance)/\(unit.name)@\(instance.fencingToken ?? 0)#\(status.since)"
                    let first = runningSeen[key] ?? now
                    stillRunning[key] = first
                    if now - first >= settle { return true }
                    nextSettle = min(nextSettle ?? first + settle, first + settle)
                    return false
                }
                runningSeen = stillRunning
                for stack in state.undecided where !waitingShown.contains(stack) {
                    say("\(stack): waiting for the controller to decide about spec revision \(rollout.revision(of: stack))")
                }
                waitingShown = Set(state.undecided)
                for instance in state.instances {
                    let before = shown[instance.instance]
                    if before?.phase == instance.phase && before?.machine == instance.machine { continue }
                    shown[instance.instance] = (instance.phase, instance.machine)
                    let label = instance.label
                    if let before, before.phase != instance.phase {
                        say("\(label): \(before.phase.rawValue) → \(instance.phase.rawValue)")
                    } else {
                        say("\(label): \(instance.phase.rawValue)")
                    }
                }
                for (stack, record) in state.rollouts.sorted(by: { $0.key < $1.key }) {
                    let line = Self.progressLine(stack, record)
                    if rolloutShown[stack] != line { say(line) }
                    rolloutShown[stack] = line
                }
                fflush(nil)
                switch state.outcome {
                case .rolloutFailed: return .rolloutFailed(state)
                case .ready: return .ready(state)
                case .unitFailed: return .unitFailed(state)
                case .unplaced: return .unplaced(state)
                case nil: break
                }
            } catch let error as APIClientError {
                if lastProblem != error.detail { say("cannot read status (\(error.detail)); retrying") }
                lastProblem = error.detail
                seen = nil
                if Date() < deadline { try await Task.sleep(for: retryInterval) }
            }
            if Date() >= deadline { return .timedOut(state) }
        }
    }
}

extension RolloutWaiter {
    /// `web: rolling out version 3: 2/5 updated, 1/5 healthy` (and the phase when not running).
    static func progressLine(_ stack: String, _ record: RolloutRecord) -> String {
        let counts = "\(record.progress.updated)/\(record.progress.total) updated, \(record.progress.healthy)/\(record.progress.total) healthy"
        switch record.phase {
        case .running: return "\(stack): rolling out \(record.label): \(counts)"
        case .awaitingPromotion: return "\(stack): \(record.label) waits for promotion: \(counts); \(record.message ?? "")"
        case .succeeded: return "\(stack): \(record.label) rolled out: \(counts)"
        case .failed: return "\(stack): rollout of \(record.label) failed: \(counts)"
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

/// What `apply`, `start`, `rollback` and `fleetctl start` print when a rollout ends badly.
struct RolloutReport {
    let client: APIClient

    /// How a wait that did not end ready ends: the exit code, the outcome's name and the lines
    /// that say why (nil for a ready ending).
    func problem(_ ending: RolloutWaiter.Ending, timeout: Double) async -> (code: Int32, name: String, lines: [String])? {
        switch ending {
        case .ready: nil
        case .unitFailed(let state): (1, "failed", await failures(state))
        case .unplaced(let state): (2, "unplaced", unplaced(state))
        case .rolloutFailed(let state): (1, "rollout failed", state.failures.map(\.sentence))
        case .timedOut(let state): (1, "timeout", await notRunning(state, after: timeout))
        }
    }

    /// Prints why a wait did not end ready to stderr and exits with its code.
    func fail(_ ending: RolloutWaiter.Ending, timeout: Double) async throws {
        guard let problem = await problem(ending, timeout: timeout) else { return }
        for line in problem.lines { printError(line) }
        throw ExitCode(problem.code)
    }

    /// Failed units with exit code or signal, last error and the last 10 journal lines.
    func failures(_ state: RolloutState) async -> [String] {
        var lines: [String] = []
        for instance in state.instances where instance.phase == .failed {
            for unit in instance.failedUnits {
                let restarts = unit.restarts > 0 ? " after \(unit.restarts) restart\(unit.restarts == 1 ? "" : "s")" : ""
                let how = unit.state == .restarting ? "is crash-looping" : "failed to start"
                lines.append("\(unit.instance)/\(unit.unit) on \(unit.machine) \(how): \(lastExit(unit))\(restarts)")
                if let error = unit.lastError { lines.append("  last error: \(error)") }
                do {
                    let chunk = try await client.logs(instance: unit.instance, unit: unit.unit, last: 10)
                    lines.append(chunk.lines.isEmpty ? "  (its journal is empty)" : "  last \(chunk.lines.count) log lines:")
                    lines += chunk.lines.map { "    \($0)" }
                } catch {
                    lines.append("  (logs unavailable: \((error as? APIClientError)?.detail ?? "\(error)"))")
                }
            }
        }
        return lines
    }

    /// Unplaced instances, with the scheduler's reasons as the controller published them.
    func unplaced(_ state: RolloutState) -> [String] {
        let list = state.instances.filter { $0.phase == .unplaced }
        return ["\(list.count) instance\(list.count == 1 ? "" : "s") unplaced:"]
            + list.map { "  \($0.instance): \($0.reason ?? "no reason recorded")" }
    }

    /// What is still not running at a timeout, and why.
    func notRunning(_ state: RolloutState, after seconds: Double) async -> [String] {
        let waiting = state.instances.filter { $0.phase != .running && $0.phase != .loaded }
        var lines = waiting.isEmpty && !state.undecided.isEmpty
            ? ["timed out after \(Int(seconds))s; the controller has not decided about \(state.undecided.joined(separator: ", ")) yet:"]
            : ["timed out after \(Int(seconds))s; \(waiting.count) of \(state.instances.count) instance\(state.instances.count == 1 ? " is" : "s are") not running yet:"]
        let leader = (try? await client.health())?.leader
        for stack in state.undecided {
            lines.append("  \(stack): waiting for the controller, which has not published a decision about this spec yet"
                         + (leader == nil ? " (no controller leads the cluster: is any agent running with the store?)"
                            : " (the controller on \(leader!) leads; flotilla events shows what it did)"))
        }
        for instance in waiting {
            lines.append("  \(instance.label): \(instance.phase.rawValue)" + why(instance.phase, leader: leader))
        }
        return lines
    }

    private func why(_ phase: InstanceProgress.Phase, leader: String?) -> String {
        switch phase {
        case .scheduling:
            leader == nil ? " (no controller leads the cluster: is any agent running with the store?)"
                : " (the controller on \(leader!) has not placed it yet)"
        case .assigned: " (the machine's agent has not reported it yet: is that agent running?)"
        case .waiting: " (waiting for the units it starts after)"
        case .checkingHealth: " (running, its health check has not passed yet)"
        case .queued: " (it runs the previous spec until the rollout replaces it)"
        case .unhealthy: " (running, but its health check fails)"
        case .restarting: " (it exited and is being restarted)"
        default: ""
        }
    }
}
