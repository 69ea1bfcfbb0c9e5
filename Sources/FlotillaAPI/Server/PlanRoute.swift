import FlotillaController
import FlotillaModel
import FlotillaScheduler
import Foundation

extension APIRoutes {
    /// `POST /v1/plan`: the live cluster with the files' stacks added or replaced, planned as
    /// the controller would; nothing is written. The only route that runs the scheduler (an
    /// explicit dry run): `status` and `apply` read what the controller published instead.
    func plan(_ request: PlanRequest) async throws -> PlanResponse {
        let compiled = try SpecCompilation.compile(files: request.files, paths: request.paths, verb: "planned")
        var state = try await ClusterReader(store: store, layout: layout).read()
        for stack in compiled.stacks {
            let desired = state.stacks[stack.name]?.record.desired == .loaded ? DesiredState.loaded : .launched
            state.stacks[stack.name] = .init(record: compiled.record(for: stack, desired: desired), revision: state.revision + 1)
        }
        let options = Reconciler.Options(leader: machineID, now: Date().timeIntervalSince1970,
                                         seed: UInt64(max(0, state.revision)), layout: layout)
        let plan = Scheduler.plan(Reconciler.request(for: state, options: options))
        let actions = plan.actions.map { action -> PlanResponse.Action in
            switch action {
            case .place(let i, let s, let m): .init(instance: i, stack: s, action: "place", machine: m)
            case .keep(let i, let s, let m): .init(instance: i, stack: s, action: "keep", machine: m)
            case .stop(let i, let s, let m, let r): .init(instance: i, stack: s, action: "stop", machine: m, reason: r)
            case .move(let i, let s, let f, let t, let r): .init(instance: i, stack: s, action: "move", machine: t, from: f, reason: r)
            }
        }
        let failures = plan.failures.map { failure in
            PlanResponse.Failure(instance: failure.instance, stack: failure.stack, message: failure.description,
                                 machinesTotal: failure.machinesTotal,
                                 reasons: failure.reasons.map { .init(reason: $0.reason.text, machines: $0.count) })
        }
        return PlanResponse(revision: state.revision, stacks: compiled.stacks.map(\.name), actions: actions,
                            failures: failures, machines: machineUse(state: state, plan: plan), warnings: compiled.diagnostics)
    }

    /// Requests and capacity per machine once `plan` is carried out.
    private func machineUse(state: ClusterState, plan: Plan) -> [PlanResponse.MachineUse] {
        var stackOf: [String: String] = [:]
        for action in plan.actions {
            switch action {
            case .place(let i, let s, _), .keep(let i, let s, _), .move(let i, let s, _, _, _): stackOf[i] = s
            case .stop: break
            }
        }
        var use: [String: (count: Int, resources: Resources)] = [:]
        for (instance, machine) in plan.placements {
            guard let stackName = stackOf[instance], let stack = state.stacks[stackName]?.record.spec else { continue }
            var entry = use[machine, default: (0, .zero)]
            entry.count += 1
            entry.resources = entry.resources + stack.resources
            use[machine] = entry
        }
        var rows = state.machines.map { record in
            let entry = use[record.id, default: (0, .zero)]
            return PlanResponse.MachineUse(
                machine: record.id, state: "up", instances: entry.count,
                cpu: "\(Quantity.formatCPU(entry.resources.cpu))/\(Quantity.formatCPU(record.capacity.cpu))",
                memory: "\(Quantity.formatBytes(entry.resources.memory))/\(Quantity.formatBytes(record.capacity.memory))")
        }
        let live = Set(state.machines.map(\.id))
        for machine in Set(state.assignments.values.map(\.assignment.machine)).subtracting(live) {
            rows.append(.init(machine: machine, state: "down", instances: 0, cpu: "-", memory: "-"))
        }
        return rows.sorted { $0.machine < $1.machine }
    }
}
