import FlotillaController
import FlotillaModel
import FlotillaStore

extension APIRoutes {
    /// `GET /v1/status[?stack=NAME]`: stacks, and per instance its placement, its machine and
    /// its units' reported states, with the reason for instances that cannot be placed.
    func status(stack filter: String?) async throws -> StatusReport {
        let state = try await ClusterReader(store: store, layout: layout).read()
        let (pendings, statuses) = try await readPendingsAndStatuses()
        if let filter, state.stacks[filter] == nil,
           !state.assignments.values.contains(where: { $0.assignment.stack == filter }) {
            throw APIError.notFound(unknownStack(filter, known: Array(state.stacks.keys)))
        }
        let expected = ExpectedInstances(state: state, machineID: machineID)
        let wanted = { (stack: String) in filter == nil || filter == stack }
        let stacks = state.stacks.values.filter { wanted($0.record.spec.name) }.sorted { $0.record.spec.name < $1.record.spec.name }
            .map { stored in
                StackSummary(name: stored.record.spec.name, desired: stored.record.desired, revision: stored.revision,
                             scale: stored.record.spec.scale,
                             expected: expected.stackOf.values.filter { $0 == stored.record.spec.name }.count,
                             isUnitFile: stored.record.unitFileText != nil)
            }
        var names = Set(expected.stackOf.keys).union(state.assignments.keys).union(pendings.keys)
        names = names.filter { name in
            let stack = state.assignments[name]?.assignment.stack ?? pendings[name]?.record.stack ?? expected.stackOf[name]
            return stack.map(wanted) ?? false
        }
        let instances = names.sorted().map { name in
            report(name, state: state, expected: expected, pending: pendings[name], statuses: statuses[name] ?? [:])
        }
        return StatusReport(revision: state.revision, stacks: stacks, instances: instances)
    }

    private func report(_ name: String, state: ClusterState, expected: ExpectedInstances,
                        pending: (record: PendingRecord, revision: Int64)?, statuses: [String: UnitStatus]) -> InstanceReport {
        let stored = state.assignments[name]
        let stack = stored?.assignment.stack ?? pending?.record.stack ?? expected.stackOf[name] ?? ""
        let isExpected = expected.stackOf[name] != nil
        var report = InstanceReport(instance: name, stack: stack, desired: state.stacks[stack]?.record.desired ?? .inactive,
                                    placement: .scheduling, expected: isExpected)
        report.pending = pending.map { PendingInfo(reason: $0.record.reason, at: $0.record.at, revision: $0.revision) }
        if let stored {
            report.placement = isExpected ? .placed : .leaving
            report.machine = stored.assignment.machine
            report.specRevision = stored.assignment.specRevision
            report.fencingToken = stored.revision
            report.units = stored.assignment.units.map { unit in
                let status = statuses[unit.name]
                return UnitReport(name: unit.name, hasHealthCheck: unit.health != nil, isScheduled: unit.timer != nil,
                                  status: status, current: (status?.fencingToken ?? -1) >= stored.revision)
            }
        } else if pending != nil {
            report.placement = .unplaced
        }
        return report
    }

    /// Placement failures with their mod revisions, and unit statuses by instance and unit.
    private func readPendingsAndStatuses() async throws
        -> ([String: (record: PendingRecord, revision: Int64)], [String: [String: UnitStatus]]) {
        let response = try await store.txn(TxnRequest(success: [
            .range(.prefix(Bytes(utf8: layout.pendings))), .range(.prefix(Bytes(utf8: layout.statuses))),
        ]))
        guard response.responses.count == 2, case .range(let pendingRange) = response.responses[0],
              case .range(let statusRange) = response.responses[1] else {
            throw APIError(.internalServerError, "the store answered a two-range read with \(response.responses.count) results; check the store")
        }
        var pendings: [String: (record: PendingRecord, revision: Int64)] = [:]
        for kv in pendingRange.kvs {
            let record = try RecordCodec.decode(PendingRecord.self, from: kv.value, key: kv.key.utf8String)
            pendings[record.instance] = (record, kv.modRevision)
        }
        var statuses: [String: [String: UnitStatus]] = [:]
        for kv in statusRange.kvs {
            let status = try RecordCodec.decode(UnitStatus.self, from: kv.value, key: kv.key.utf8String)
            statuses[status.instance, default: [:]][status.unit] = status
        }
        return (pendings, statuses)
    }

    /// "no stack named X …" with the nearest known name.
    func unknownStack(_ name: String, known: [String]) -> String {
        let hint = Suggestion.hint(for: name, among: known)
        let list = known.isEmpty ? "no stack is stored yet; apply one with flotilla apply -f FILE"
            : "flotilla status lists the \(known.count) stored stack\(known.count == 1 ? "" : "s")"
        return "no stack named '\(name)'" + (hint.isEmpty ? "; " : hint + " ") + list
    }
}
