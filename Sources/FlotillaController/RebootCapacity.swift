import FlotillaModel
import FlotillaScheduler

/// Whether a machine may be taken out for a reboot: the what-if `plan --without` answers,
/// asked of the live cluster. Pure.
public enum RebootCapacity {
    /// Why `machine` may not go now (empty: it may). With `machine` and every machine in
    /// `away` (the slots' holders) gone, every instance the scheduler places today must still
    /// find a machine (failures that exist with every machine present do not count), and every
    /// stack with instances on `machine` and a `disruption` budget must have room in it.
    public static func problems(state: ClusterState, machine: String, away: [String], options: Reconciler.Options) -> [String] {
        let request = Reconciler.request(for: state, options: options)
        let today = Set(Scheduler.plan(request).failures.map(\.instance))
        var without = request
        let gone = Set(away + [machine])
        without.cluster.machines = request.cluster.machines.map { state in
            var changed = state
            if gone.contains(state.machine.id) { changed.alive = false }
            return changed
        }
        var problems = Scheduler.plan(without).failures.filter { !today.contains($0.instance) }.map { failure in
            "without \(gone.count == 1 ? "this machine" : "this machine and \(gone.count - 1) other\(gone.count == 2 ? "" : "s") holding slots"), \(failure.description)"
        }
        let here = Set(state.assignments.values.filter { $0.assignment.machine == machine }.map(\.assignment.stack))
        for stack in here.sorted() {
            guard let budget = state.stacks[stack]?.record.spec.disruption else { continue }
            let unavailable = state.unavailable(stack)
            if unavailable >= budget.maxUnavailable {
                problems.append("stack \(stack) has \(unavailable) instance\(unavailable == 1 ? "" : "s") unavailable already; its disruption budget allows \(budget.maxUnavailable)")
            }
        }
        return problems
    }

    /// Why the drain of `holder` is not done (empty: done): instances still assigned to the
    /// machine (but a global stack's), and instances of the stacks that ran there not
    /// available elsewhere yet.
    public static func draining(state: ClusterState, holder: RebootHolder) -> [String] {
        var left: [String] = []
        // A global stack's instance belongs to the machine: a drain leaves it, and it goes
        // down with the reboot.
        let here = state.assignments.values.filter { $0.assignment.machine == holder.machine && !state.isGlobal($0.assignment.stack) }
            .map(\.assignment.instance).sorted()
        if !here.isEmpty {
            left.append("\(here.count) instance\(here.count == 1 ? "" : "s") still on the machine (\(here.prefix(5).joined(separator: ", "))\(here.count > 5 ? ", …" : ""))")
        }
        for stack in holder.stacks.sorted() {
            let unavailable = state.unavailable(stack)
            if unavailable > 0 { left.append("stack \(stack): \(unavailable) instance\(unavailable == 1 ? "" : "s") not running elsewhere yet") }
        }
        return left
    }
}
