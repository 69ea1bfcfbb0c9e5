import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `flotilla status [STACK]`: every instance, its machine and its units' states.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where every instance runs and what its units are doing, and why any instance is unplaced."
    )

    @Argument(help: "Only this stack.")
    var stack: String?

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let client = try api.client()
        let report = try await calling { try await client.status(stack: stack) }
        guard output == .table else { return try output.print(report) }
        print(Self.text(report, machines: MachineLabel(try? await client.machines())))
    }

    /// The table, a WHY line under every unplaced instance and every restarting or failed
    /// unit, stacks waiting for the controller, rollouts in progress or failed, and stacks
    /// without instances.
    static func text(_ report: StatusReport, machines: MachineLabel) -> String {
        // ADDRESS only when some instance is on the overlay (`network: overlay`).
        let addressed = report.instances.contains { $0.units.contains { $0.status?.address != nil } }
        func address(_ instance: InstanceReport) -> [String] {
            addressed ? [instance.units.lazy.compactMap { $0.status?.address }.first ?? "-"] : []
        }
        var table = Table(header: ["INSTANCE", "UNIT", "MACHINE"] + (addressed ? ["ADDRESS"] : []) + ["STATE", "RESTARTS", "LAST-EXIT", "SINCE"])
        var why: [Int: String] = [:]
        for instance in report.instances {
            if instance.units.isEmpty {
                table.rows.append([instance.instance, "-", machines.text(instance.machine)] + address(instance)
                                  + [instance.placement.rawValue, "-", "-", instance.unplaced.map { ago($0.since) } ?? "-"])
                if let reason = instance.unplaced?.reason { why[table.rows.count] = reason }
                continue
            }
            for unit in instance.units {
                table.rows.append([instance.instance, unit.name, machines.text(instance.machine)] + address(instance)
                                  + [state(of: unit, in: instance), unit.status.map { String($0.restarts) } ?? "-", lastExit(unit.status),
                                     unit.status.map { ago($0.since) } ?? "-"])
                if let reason = trouble(unit) { why[table.rows.count] = reason }
            }
        }
        var lines: [String] = []
        let rendered = table.render().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (index, line) in rendered.enumerated() {
            lines.append(line)
            if let reason = why[index] { lines.append("  WHY: \(reason)") }
        }
        if report.instances.isEmpty { lines = ["no instances"] }
        for stack in report.stacks where stack.awaitingController {
            let seen = stack.decidedRevision.map { "its last decision is about revision \($0)" } ?? "it has not decided about it yet"
            lines.append("stack \(stack.name): waiting for the controller to decide about spec revision \(stack.revision) (\(seen))")
        }
        for stack in report.stacks {
            for record in stack.rescheduled ?? [] {
                guard let move = record.moves.last else { continue }
                lines.append("stack \(stack.name): \(record.instance) moved from \(machines.text(move.from)) \(ago(move.at)) because it failed there (\(move.reason))"
                             + (record.moves.count > 1 ? "; \(record.moves.count) moves recently" : ""))
            }
        }
        for stack in report.stacks {
            guard let rollout = stack.rollout, rollout.isActive || rollout.phase == .failed else { continue }
            lines.append("stack \(stack.name): " + RolloutWaiter.progressLine(stack.name, rollout).dropFirst(stack.name.count + 2)
                         + (rollout.message.map { " (\($0))" } ?? ""))
        }
        for stack in report.stacks where !stack.awaitingController && (stack.expected == 0 || stack.desired != .launched) {
            let meaning = switch stack.desired {
            case .launched: "no instance wanted (count 0, or no eligible machine for a global stack)"
            case .loaded: "placed, not running (flotilla start \(stack.name) runs it)"
            case .inactive: "stored, not placed"
            }
            lines.append("stack \(stack.name): \(stack.desired.rawValue), \(meaning)")
        }
        return lines.joined(separator: "\n")
    }

    /// Why a unit that is restarting or failed is so (its last error), for a WHY line.
    static func trouble(_ unit: UnitReport) -> String? {
        guard unit.current, let status = unit.status, status.state == .restarting || status.state == .failed,
              let error = status.lastError else { return nil }
        return status.state == .restarting ? "\(unit.name) restarting after: \(error)" : "\(unit.name) failed: \(error)"
    }

    /// A unit's state as shown: the agent's report, `assigned` before the first one,
    /// `updating` while the report is from before the current assignment; a scheduled unit
    /// between runs is `waiting`, with its last run (and how it ended) and its next one.
    static func state(of unit: UnitReport, in instance: InstanceReport) -> String {
        guard let status = unit.status else { return instance.placement == .leaving ? "leaving" : "assigned" }
        var text = unit.current ? status.state.rawValue : "updating"
        if unit.current, status.state == .running, let health = status.health, unit.hasHealthCheck { text += " (\(health.rawValue))" }
        if unit.current, unit.isScheduled {
            let last = status.lastRun.map { "last run \(ago($0))" + (status.state == .exited || status.state == .failed ? ", \(lastExit(status))" : "") }
            let next = status.nextRun.map { "next in \(max(0, Int(($0 - Date().timeIntervalSince1970).rounded())))s" }
            let parts = [last, next].compactMap { $0 }
            if status.state == .pending || status.state == .exited { text = "waiting" }
            if !parts.isEmpty { text += " (\(parts.joined(separator: "; ")))" }
        }
        if instance.placement == .leaving { text = "leaving (\(text))" }
        return text
    }
}
