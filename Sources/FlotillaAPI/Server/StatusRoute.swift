import FlotillaModel
import FlotillaStore

extension APIRoutes {
    /// Longest a status long-poll holds the request (the client's own timeout is longer).
    static let maxStatusWait: Duration = .seconds(25)

    /// `GET /v1/status[?stack=NAME][&after=REVISION[&wait=SECONDS]]`: stacks, and per instance
    /// its placement, its machine and its units' reported states, with the reason for unplaced
    /// instances. Everything comes from the store as written: the controller's decision records
    /// (`decisions/<stack>`), assignments and unit statuses; the API never plans here.
    ///
    /// With `after`, a long-poll: the answer waits until a stack, decision, assignment, unit
    /// status or rollout changed after that revision, or `wait` seconds passed (default and most
    /// ``maxStatusWait``). The `apply` waiter passes the revision of its last answer.
    func status(stack filter: String?, query: [String: String]) async throws -> StatusReport {
        if let text = query["after"] {
            guard let after = Int64(text), after >= 0 else {
                throw APIError.badRequest("after must be a store revision (0 or more) from a previous answer's revision, got '\(text)'")
            }
            var limit = Self.maxStatusWait
            if let text = query["wait"] {
                guard let seconds = Double(text), seconds >= 0 else {
                    throw APIError.badRequest("wait must be a number of seconds (0 or more), got '\(text)'")
                }
                limit = min(limit, .milliseconds(Int64(min(seconds, 3600) * 1000)))
            }
            _ = await StoreChange(store: store).wait(
                prefixes: [layout.stacks, layout.decisions, layout.assignments, layout.statuses, layout.rollouts],
                after: after, limit: limit)
        }
        return try await status(stack: filter)
    }

    /// The status report as the store holds it now.
    func status(stack filter: String?) async throws -> StatusReport {
        let read = try await StatusRead(store: store, layout: layout)
        if let filter, read.stacks[filter] == nil,
           !read.assignments.values.contains(where: { $0.assignment.stack == filter }) {
            throw APIError.notFound(unknownStack(filter, known: Array(read.stacks.keys)))
        }
        let wanted = { (stack: String) in filter == nil || filter == stack }
        let stacks = read.stacks.values.filter { wanted($0.record.spec.name) }.sorted { $0.record.spec.name < $1.record.spec.name }
            .map { stored in
                let decision = read.decisions[stored.record.spec.name]
                return StackSummary(name: stored.record.spec.name, desired: stored.record.desired, revision: stored.revision,
                                    scale: stored.record.spec.scale, expected: decision?.wanted.count ?? 0,
                                    isUnitFile: stored.record.unitFileText != nil, decidedRevision: decision?.specRevision,
                                    version: stored.record.version, rollout: read.rollouts[stored.record.spec.name],
                                    rescheduled: read.reschedules[stored.record.spec.name])
            }
        var names = Set(read.assignments.keys)
        for (stack, decision) in read.decisions where read.stacks[stack] != nil {
            names.formUnion(decision.placed.keys)
            names.formUnion(decision.unplaced.keys)
        }
        let instances = names.compactMap { name -> InstanceReport? in
            let stack = read.assignments[name]?.assignment.stack ?? read.stackOf(name)
            guard let stack, wanted(stack) else { return nil }
            return report(name, stack: stack, read: read)
        }.sorted { $0.instance < $1.instance }
        return StatusReport(revision: read.revision, stacks: stacks, instances: instances)
    }

    private func report(_ name: String, stack: String, read: StatusRead) -> InstanceReport {
        let stored = read.assignments[name]
        let decision = read.decisions[stack]
        let unplaced = decision?.unplaced[name]
        let isExpected = decision?.placed[name] != nil || unplaced != nil
        var report = InstanceReport(instance: name, stack: stack, desired: read.stacks[stack]?.record.desired ?? .inactive,
                                    placement: .scheduling, expected: isExpected)
        if let stored {
            report.placement = isExpected ? .placed : .leaving
            report.machine = stored.assignment.machine
            report.specRevision = stored.assignment.specRevision
            report.fencingToken = stored.revision
            let statuses = read.statuses[name] ?? [:]
            report.units = stored.assignment.units.map { unit in
                let status = statuses[unit.name]
                return UnitReport(name: unit.name, hasHealthCheck: unit.health != nil, isScheduled: unit.timer != nil,
                                  status: status, current: (status?.fencingToken ?? -1) >= stored.revision)
            }
        } else if let unplaced, let decision {
            report.placement = .unplaced
            report.unplaced = UnplacedInfo(reason: unplaced.explanation, reasons: unplaced.reasons,
                                           since: unplaced.since, specRevision: decision.specRevision)
        }
        return report
    }

    /// "no stack named X …" with the nearest known name.
    func unknownStack(_ name: String, known: [String]) -> String {
        let hint = Suggestion.hint(for: name, among: known)
        let list = known.isEmpty ? "no stack is stored yet; apply one with flotilla apply -f FILE"
            : "flotilla status lists the \(known.count) stored stack\(known.count == 1 ? "" : "s")"
        return "no stack named '\(name)'" + (hint.isEmpty ? "; " : hint + " ") + list
    }
}
