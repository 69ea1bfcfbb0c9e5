import FlotillaModel

/// Which failing instances move (pure; the stacks' ``ReschedulePolicy``): the machines each
/// instance must avoid in this pass's scheduling request, and the reschedule records to write.
///
/// An instance fails on its machine when a unit of its current run (the status with the
/// assignment's fencing token) is `failed`, or was restarted `attempts` times. It moves once
/// the delay has passed since the controller first saw it failing there (kept in its
/// record): the policy's delay, doubled for every move within the interval. Machines it failed on within the interval stay avoided, so it
/// does not come back to them.
struct RescheduleStep {
    let state: ClusterState
    let now: Double

    /// What one pass decided.
    struct Outcome {
        /// Instance → machines it must not run on.
        var avoid: [String: Set<String>] = [:]
        /// Records to write (one per instance that moves now, or whose old moves expired).
        var records: [RescheduleRecord] = []
        /// Instances whose record is to be deleted (no move left within the interval, or the
        /// stack is gone).
        var forget: [String] = []
        /// Events: stack, instance, machine, message.
        var events: [(stack: String, instance: String, machine: String, message: String)] = []
        /// True while some failing instance waits out its delay (decide again soon).
        var waiting = false
    }

    func decide() -> Outcome {
        var outcome = Outcome()
        let live = Set(state.machines.map(\.id))
        for (instance, record) in state.reschedules where state.assignments[instance] == nil {
            // The stack is gone, lost its policy, or the instance is not assigned (scaled down,
            // unplaced): its record goes once its moves are older than the interval.
            // Until then it keeps avoiding the machines it failed on (an exclusive instance
            // stopped for its move is placed by a later pass).
            guard let policy = state.stacks[record.stack]?.record.spec.reschedule,
                  case let recent = record.moves.filter({ $0.at > now - policy.interval }), !recent.isEmpty else {
                outcome.forget.append(instance)
                continue
            }
            outcome.avoid[instance] = Set(recent.map(\.from))
        }
        for stored in state.assignments.values.sorted(by: { $0.assignment.instance < $1.assignment.instance }) {
            let assignment = stored.assignment
            guard let stack = state.stacks[assignment.stack], let policy = stack.record.spec.reschedule,
                  stack.record.desired == .launched else { continue }
            let existing = state.reschedules[assignment.instance]
            var record = existing ?? RescheduleRecord(instance: assignment.instance, stack: assignment.stack)
            record.moves.removeAll { $0.at <= now - policy.interval }
            var avoid = Set(record.moves.map(\.from))
            if live.contains(assignment.machine), !avoid.contains(assignment.machine), let failure = failure(of: stored, policy) {
                // Since when it fails here, as first seen: a unit's status `since` restarts
                // with every restart, so it cannot carry the delay.
                let since = record.failing?.machine == assignment.machine ? record.failing!.since : now
                record.failing = .init(machine: assignment.machine, since: since)
                if now >= since + policy.delay(afterMoves: record.moves.count) {
                    avoid.insert(assignment.machine)
                    record.failing = nil
                    record.moves.append(.init(from: assignment.machine, at: now, reason: failure))
                    outcome.events.append((assignment.stack, assignment.instance, assignment.machine,
                                           "\(assignment.instance) failed on \(assignment.machine) (\(failure)); moving it to another machine (move \(record.moves.count) within \(Self.span(policy.interval)))"))
                } else {
                    outcome.waiting = true
                }
            } else {
                record.failing = nil
            }
            if !avoid.isEmpty { outcome.avoid[assignment.instance] = avoid }
            if record.moves.isEmpty, record.failing == nil {
                if existing != nil { outcome.forget.append(assignment.instance) }
            } else if record != existing {
                outcome.records.append(record)
            }
        }
        return outcome
    }

    /// Why the run of `stored` counts as failed on its machine; nil when it does not: a unit
    /// of it ended `failed`, or was restarted `attempts` times there (whatever it does now).
    private func failure(of stored: ClusterState.StoredAssignment, _ policy: ReschedulePolicy) -> String? {
        for status in state.statuses[stored.assignment.instance] ?? [] where status.fencingToken == stored.revision {
            let exit = status.lastError ?? status.exitCode.map { "exit \($0)" } ?? "no reason recorded"
            if status.state == .failed { return "\(status.unit) failed: \(exit)" }
            if status.restarts >= policy.attempts { return "\(status.unit) restarted \(status.restarts) times, last: \(exit)" }
        }
        return nil
    }

    static func span(_ seconds: Double) -> String {
        seconds >= 3600 && seconds.truncatingRemainder(dividingBy: 3600) == 0 ? "\(Int(seconds / 3600))h"
            : seconds >= 60 && seconds.truncatingRemainder(dividingBy: 60) == 0 ? "\(Int(seconds / 60))m" : RolloutStep.span(seconds)
    }
}
