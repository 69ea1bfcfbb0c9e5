import FlotillaAPI
import FlotillaModel
import Foundation

/// Polls `GET /v1/status` until a rollout is over or the time is up, printing a line every
/// time an instance changes phase (`web@1 on m2: starting → running`).
struct RolloutWaiter {
    /// How a wait ended.
    enum Ending {
        case ready(RolloutState)
        case unitFailed(RolloutState)
        case unplaced(RolloutState)
        case timedOut(RolloutState)
    }

    let client: APIClient
    let rollout: Rollout
    let timeout: Double
    /// Where progress lines go.
    let say: (String) -> Void
    var pollInterval: Duration = .milliseconds(300)

    func wait() async throws -> Ending {
        let deadline = Date().addingTimeInterval(timeout)
        var shown: [String: (phase: InstanceProgress.Phase, machine: String?)] = [:]
        var state = RolloutState(instances: [])
        var lastProblem: String?
        while true {
            do {
                let report = try await client.status()
                lastProblem = nil
                state = rollout.evaluate(report)
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
                fflush(nil)
                switch state.outcome {
                case .ready: return .ready(state)
                case .unitFailed: return .unitFailed(state)
                case .unplaced: return .unplaced(state)
                case nil: break
                }
            } catch let error as APIClientError {
                if lastProblem != error.detail { say("cannot read status (\(error.detail)); retrying") }
                lastProblem = error.detail
            }
            if Date() >= deadline { return .timedOut(state) }
            try await Task.sleep(for: pollInterval)
        }
    }
}

/// What `apply`, `start` and `fleetctl start` print when a rollout ends badly.
struct RolloutReport {
    let client: APIClient

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

    /// Instances that cannot be placed, with the scheduler's reasons.
    func unplaced(_ state: RolloutState) -> [String] {
        let list = state.instances.filter { $0.phase == .unplaced }
        return ["cannot place \(list.count) instance\(list.count == 1 ? "" : "s"):"]
            + list.map { "  \($0.instance): \($0.reason ?? "no reason recorded")" }
    }

    /// What is still not running at a timeout, and why.
    func pending(_ state: RolloutState, after seconds: Double) async -> [String] {
        let waiting = state.instances.filter { $0.phase != .running && $0.phase != .loaded }
        var lines = ["timed out after \(Int(seconds))s; \(waiting.count) of \(state.instances.count) instance\(state.instances.count == 1 ? " is" : "s are") not running yet:"]
        let leader = (try? await client.health())?.leader
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
        case .unhealthy: " (running, but its health check fails)"
        case .restarting: " (it exited and is being restarted)"
        default: ""
        }
    }
}
