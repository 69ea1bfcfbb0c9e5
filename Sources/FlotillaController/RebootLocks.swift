import FlotillaModel
import FlotillaStore
import Foundation
import Synchronization

/// Reboot slots, granted the way issue 14 asks and locksmith never did: only when the cluster
/// can place every instance without the machine (and without the machines already holding
/// slots) and the disruption budgets allow it; the machine is then drained, and the grant is
/// complete (``Outcome/ready``) only when its instances run elsewhere. Every grant, wait,
/// release and expiry is an event of kind `reboot-…` (`flotilla reboot history`), written in
/// the same transaction as the group.
///
/// Used by the agents' `lock` strategy, the FleetLock server and the API; `source` (the
/// acting agent's machine ID) is recorded in the events.
package actor RebootLocks {
    /// What a request for a slot found.
    package enum Outcome: Sendable, Hashable {
        /// The machine holds a slot and is drained: it may reboot now.
        case ready
        /// The machine holds a slot; its drain goes on, for these reasons.
        case draining([String])
        /// The machine waits for a slot, for these reasons.
        case waiting([String])
        /// Every slot is held (FleetLock's `failed_lock_semaphore_full`).
        case full([String])
    }

    /// Seconds reboot events are kept: 30 days, so `reboot history` spans a month of updates.
    static let eventTTL: Int64 = 30 * 86_400
    let store: any KeyValueStore
    let layout: StoreLayout
    let source: String
    let groups: RebootGroups
    private var lease: (id: Int64, granted: Double)?
    private var sequence = UInt64.random(in: 0..<1_000_000)

    package init(store: any KeyValueStore, layout: StoreLayout, source: String) {
        self.store = store; self.layout = layout; self.source = source
        groups = RebootGroups(store: store, layout: layout)
    }

    /// Asks for a slot of `group` for `machine` (again: requests are recursive). See ``Outcome``.
    package func request(machine: String, group name: String, reason: String, now: Double) async throws -> Outcome {
        let outcome = try await ask(machine: machine, group: name, reason: reason, now: now)
        // Just granted: look again (a new read), so a machine with nothing to drain is ready
        // at once — Zincati asks only every five minutes.
        if case .draining(let why) = outcome, why == [Self.drainStarting] {
            return try await ask(machine: machine, group: name, reason: reason, now: now)
        }
        return outcome
    }

    static let drainStarting = "the drain is starting"

    private func ask(machine: String, group name: String, reason: String, now: Double) async throws -> Outcome {
        let reader = ClusterReader(store: store, layout: layout)
        var read = try await reader.read()
        // Availability needs the statuses of every stack with instances on the machine, and
        // of the stacks a holder's drain waits for.
        let group = try await groups.read(name).group
        let stacks = Set(read.assignments.values.filter { $0.assignment.machine == machine }.map(\.assignment.stack))
            .union(group.holders.flatMap(\.stacks))
        try await reader.readStatuses(of: stacks, into: &read)
        let state = read
        let options = Reconciler.Options(leader: source, now: now, seed: UInt64(max(0, state.revision)), layout: layout)
        let event = try await eventWriter(now: now)
        let cordon = state.cordons[machine]
        return try await groups.update(name) { group -> (Outcome, [RequestOp]) in
            var writes = expire(&group, now: now, event: event)
            if let holder = group.holders.first(where: { $0.machine == machine }) {
                if cordon?.draining != true { writes.append(putCordon(machine, draining: true, now: now)) }
                let left = RebootCapacity.draining(state: state, holder: holder)
                return (left.isEmpty && cordon?.draining == true ? .ready : .draining(left.isEmpty ? [Self.drainStarting] : left), writes)
            }
            let full = group.free == 0
            let fullReason = group.slots == 0
                ? "group \(name) has 0 slots: reboots are stopped (flotilla reboot set-max \(name) N)"
                : "all \(group.slots) slot\(group.slots == 1 ? " is" : "s are") held (\(group.holders.map { $0.machine }.joined(separator: ", ")))"
            let problems = full
                ? [fullReason]
                : RebootCapacity.problems(state: state, machine: machine, away: group.holders.map(\.machine), options: options)
            guard problems.isEmpty else {
                if group.wait(machine: machine, reasons: problems, now: now) {
                    writes.append(event("reboot-waiting", machine, "\(machine) waits for a reboot slot of \(name): \(problems.joined(separator: "; "))"))
                }
                return (full ? .full(problems) : .waiting(problems), writes)
            }
            let stacks = Set(state.assignments.values.filter { $0.assignment.machine == machine && !state.isGlobal($0.assignment.stack) }
                .map(\.assignment.stack)).sorted()
            _ = group.lock(machine: machine, reason: reason, now: now, cordonBefore: cordon?.draining, stacks: stacks)
            writes.append(putCordon(machine, draining: true, now: now))
            writes.append(event("reboot-granted", machine, "\(machine) holds a reboot slot of \(name) (\(reason)); it drains"
                                + (stacks.isEmpty ? "" : " (\(stacks.joined(separator: ", ")))")))
            return (.draining([Self.drainStarting]), writes)
        }
    }

    /// Records that `machine` waits for a reason of its own (its window is closed), so
    /// `reboot status` shows it; nil reasons: it no longer waits.
    package func wait(machine: String, group name: String, reasons: [String]?, now: Double) async throws {
        let event = try await eventWriter(now: now)
        try await groups.update(name) { group -> ((), [RequestOp]) in
            guard let reasons else { group.stopWaiting(machine: machine); return ((), []) }
            guard group.wait(machine: machine, reasons: reasons, now: now) else { return ((), []) }
            return ((), [event("reboot-waiting", machine, "\(machine) waits to reboot: \(reasons.joined(separator: "; "))")])
        }
    }

    /// Marks `machine`'s slot as rebooting (its command runs now); false when it holds none.
    package func rebooting(machine: String, group name: String, command: String, now: Double) async throws -> Bool {
        let event = try await eventWriter(now: now)
        return try await groups.update(name) { group -> (Bool, [RequestOp]) in
            guard let index = group.holders.firstIndex(where: { $0.machine == machine }) else { return (false, []) }
            group.holders[index].rebootingSince = now
            return (true, [event("reboot-started", machine, "\(machine) is drained and reboots: \(command)")])
        }
    }

    /// Records an event of `kind` about `machine` on its own (the `reboot` strategy's reboots,
    /// which take no slot).
    package func record(_ kind: String, machine: String, message: String, now: Double) async throws {
        let event = try await eventWriter(now: now)
        _ = try await store.txn(TxnRequest(success: [event(kind, machine, message)]))
    }

    /// Gives `machine`'s slot back and puts its cordon as it was before the grant (removed,
    /// unless the user had cordoned it). Idempotent: false when it held no slot.
    package func release(machine: String, group name: String, why: String, now: Double) async throws -> Bool {
        let cordon = try await store.range(RangeRequest(key: Bytes(utf8: layout.cordon(machine)))).kvs.first
        let event = try await eventWriter(now: now)
        return try await groups.update(name) { group -> (Bool, [RequestOp]) in
            group.stopWaiting(machine: machine)
            guard let holder = group.holders.first(where: { $0.machine == machine }) else { return (false, []) }
            group.unlock(machine: machine)
            var writes = [event("reboot-released", machine, "\(machine) gave its reboot slot of \(name) back: \(why)")]
            writes += restoreCordon(holder, present: cordon != nil, now: now)
            return (true, writes)
        }
    }

    /// The groups as stored (a group never written: its defaults), with holders past their
    /// hold timeout taken back first.
    package func status(group name: String?, now: Double) async throws -> [RebootGroup] {
        var names = [String]()
        if let name { names = [name] } else { names = try await groups.all().map(\.name) }
        var result: [RebootGroup] = []
        let event = try await eventWriter(now: now)
        for name in names {
            try await groups.update(name) { group -> ((), [RequestOp]) in ((), expire(&group, now: now, event: event)) }
            result.append(try await groups.read(name).group)
        }
        return result
    }

    /// Sets how many machines of `group` may reboot at once, and optionally its hold timeout.
    package func configure(group name: String, slots: Int, holdTimeout: Double?, now: Double) async throws -> RebootGroup {
        let event = try await eventWriter(now: now)
        return try await groups.update(name) { group -> (RebootGroup, [RequestOp]) in
            let before = group
            group.slots = slots
            if let holdTimeout { group.holdTimeout = holdTimeout }
            guard group != before else { return (group, []) }
            return (group, [event("reboot-configured", nil, "reboot group \(name): \(slots) slot\(slots == 1 ? "" : "s"), hold timeout \(Int(group.holdTimeout)) s")])
        }
    }

    // MARK: - Writes

    /// Takes back the slots held past the group's hold timeout: an event each, and their
    /// cordons put back as they were (the machine did not come back to say so itself).
    private nonisolated func expire(_ group: inout RebootGroup, now: Double, event: EventWriter) -> [RequestOp] {
        group.expire(now: now).flatMap { holder -> [RequestOp] in
            [event("reboot-expired", holder.machine,
                   "\(holder.machine) lost its reboot slot of \(group.name): it held it \(Int(now - holder.since)) s, longer than the hold timeout (\(Int(group.holdTimeout)) s)")]
                + restoreCordon(holder, present: true, now: now)
        }
    }

    private nonisolated func restoreCordon(_ holder: RebootHolder, present: Bool, now: Double) -> [RequestOp] {
        switch holder.cordonBefore {
        case nil: return present ? [.deleteRange(DeleteRangeRequest(key: Bytes(utf8: layout.cordon(holder.machine))))] : []
        case false?: return [putCordon(holder.machine, draining: false, now: now)]
        case true?: return []
        }
    }

    private nonisolated func putCordon(_ machine: String, draining: Bool, now: Double) -> RequestOp {
        .put(PutRequest(key: Bytes(utf8: layout.cordon(machine)), value: RecordCodec.encode(CordonRecord(machine: machine, draining: draining, since: now))))
    }

    /// Makes event writes: `(kind, machine, message) -> put`, under the reboot events' lease.
    typealias EventWriter = @Sendable (String, String?, String) -> RequestOp

    private func eventWriter(now: Double) async throws -> EventWriter {
        // A lease the store lost (restored from a snapshot) fails the writes: take a new one
        // at the next call, after a short while.
        if let granted = lease, (try? await store.leaseTimeToLive(id: granted.id, keys: false).ttl ?? -1) ?? -1 <= 0 { lease = nil }
        if lease == nil || now - lease!.granted > Double(Self.eventTTL / 2) {
            lease = (try await store.leaseGrant(ttl: Self.eventTTL, id: 0).id, now)
        }
        let lease = lease!.id, source = source, layout = layout
        sequence += 100
        let base = sequence
        let counter = Counter()
        return { kind, machine, message in
            let key = layout.event(unixNanoseconds: UInt64(now * 1e9), sequence: base + counter.next())
            return .put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(EventRecord(at: now, kind: kind, machine: machine, message: message, source: source)), lease: lease))
        }
    }
}

/// Numbers the events of one write.
private final class Counter: Sendable {
    private let value = Mutex<UInt64>(0)
    func next() -> UInt64 { value.withLock { $0 += 1; return $0 } }
}
