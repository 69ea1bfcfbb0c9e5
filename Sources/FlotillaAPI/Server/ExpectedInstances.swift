import FlotillaController
import FlotillaModel
import FlotillaScheduler
import Foundation

/// What the controller would decide for a cluster state now: the plan, and from it the
/// instances every stack should have.
struct ExpectedInstances {
    /// The scheduler's plan for the state.
    let plan: Plan
    /// Wanted instance → its stack (placed or not).
    let stackOf: [String: String]

    /// Plans `state` as the controller does (same request, seeded by the revision).
    init(state: ClusterState, machineID: String) {
        let options = Reconciler.Options(leader: machineID, now: Date().timeIntervalSince1970, seed: UInt64(max(0, state.revision)))
        plan = Scheduler.plan(Reconciler.request(for: state, options: options))
        var stackOf: [String: String] = [:]
        for action in plan.actions {
            switch action {
            case .place(let i, let s, _), .keep(let i, let s, _), .move(let i, let s, _, _, _): stackOf[i] = s
            case .stop: break
            }
        }
        for failure in plan.failures { stackOf[failure.instance] = failure.stack }
        self.stackOf = stackOf
    }

    /// The wanted instances of `stacks`, sorted.
    func instances(of stacks: Set<String>) -> [String] {
        stackOf.filter { stacks.contains($0.value) }.keys.sorted()
    }
}
