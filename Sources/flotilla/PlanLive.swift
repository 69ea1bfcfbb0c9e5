import ArgumentParser
import FlotillaAPI
import FlotillaModel

extension PlanCommand {
    /// `flotilla plan -f FILE...` without `--machines`: the files planned against the live
    /// cluster by an agent's API; nothing is stored.
    func runLive() async throws {
        guard without.isEmpty else {
            throw ValidationError("--without needs --machines: what-if questions are asked of a described cluster")
        }
        let paths = try specPaths(files, file)
        let client = try api.client()
        let bundle = SpecBundle.read(paths: paths)
        let plan = try await calling { try await client.plan(bundle.planRequest) }
        for warning in plan.warnings where warning.severity == .warning { printError(warning.description) }
        let report = PlanReport(live: plan)
        switch output {
        case .table: print(report.text(without: []))
        case .json, .yaml: try output.print(report)
        }
        if !plan.failures.isEmpty { throw ExitCode(2) }
    }
}

extension PlanReport {
    /// The report of a live plan (as answered by `POST /v1/plan`).
    init(live plan: PlanResponse) {
        actions = plan.actions.map {
            Row(instance: $0.instance, stack: $0.stack, action: $0.action, machine: $0.machine, from: $0.from, reason: $0.reason)
        }
        failures = plan.failures.map { failure in
            Failure(instance: failure.instance, stack: failure.stack, message: failure.message, machinesTotal: failure.machinesTotal,
                    reasons: failure.reasons.map { Reason(reason: $0.reason, machines: $0.machines) })
        }
        machines = plan.machines.map {
            MachineUse(machine: $0.machine, state: $0.state, instances: $0.instances, cpu: $0.cpu, memory: $0.memory)
        }
        placed = plan.actions.filter { $0.action != "stop" }.count
        wanted = placed + plan.failures.count
    }
}
