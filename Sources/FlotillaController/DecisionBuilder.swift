import FlotillaModel
import FlotillaScheduler

/// Accumulates the writes and events of one reconcile pass (see ``Reconciler``).
struct DecisionBuilder {
    let state: ClusterState
    let options: Reconciler.Options
    private var removals: [ControllerWrite] = []
    private var additions: [ControllerWrite] = []
    private var events: [EventRecord] = []
    private var unplaced: [String: String] = [:]
    /// Per stack: wanted instances placed (instance → machine) and unplaced (instance → why).
    private var placedByStack: [String: [String: String]] = [:]
    private var unplacedByStack: [String: [String: UnplacedInstance]] = [:]
    /// Per stack: kept instances whose assignment carries other units than the stack's; the
    /// stack's rollout decides which of them are replaced in this pass (``RolloutStep``).
    private var outdated: [String: [Assignment]] = [:]
    private var rolloutWrites: [ControllerWrite] = []
    private var reverts: [StackRevert] = []
    private var rolling: Set<String> = []
    /// Reschedule records to write or delete.
    private var rescheduleWrites: [ControllerWrite] = []
    /// A failing instance waits out its reschedule delay.
    private var rescheduleWaiting = false
    /// Per stack with a disruption budget: instances unavailable, counting the ones this pass
    /// takes off a draining machine.
    private var unavailable: [String: Int] = [:]
    /// Stacks whose drain waits for their budget.
    private var budgetWaiting: Set<String> = []
    /// Instances left on held dead machines in this pass.
    private var held: Set<String> = []

    init(state: ClusterState, options: Reconciler.Options) {
        self.state = state
        self.options = options
    }

    /// Removals first, so an instance is never assigned to two machines, even between
    /// two transactions of a chunked commit. Additions are grouped by machine (in key order):
    /// a chunk of the commit then reaches one or two machines, each agent gets its instances
    /// in a few watch responses, and publishes their statuses in a few writes instead of one
    /// write per instance.
    var decision: Decision {
        let live = Set(state.machines.map(\.id))
        var dead = Set<String>()
        for case .unassign(let machine, _) in removals where !live.contains(machine) { dead.insert(machine) }
        let grouped = additions.map { ($0.key(in: options.layout), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
        var decision = Decision(writes: removals + grouped + records + rolloutWrites + rescheduleWrites + downMembers, events: events,
                                unplaced: unplaced, deadMachines: dead, reverts: reverts, rolling: rolling, held: held.count)
        decision.rescheduling = rescheduleWaiting || !budgetWaiting.isEmpty
        return decision
    }

    /// Member records of machines whose lease is gone, marked with when that was found (once;
    /// again only after the machine registered since).
    private var downMembers: [ControllerWrite] {
        let live = Set(state.machines.map(\.id))
        return state.members.values.sorted { $0.id < $1.id }.compactMap { member in
            guard !live.contains(member.id) else { return nil }
            if let since = member.downSince, since >= (member.registeredAt ?? 0) { return nil }
            var down = member
            down.downSince = options.now
            return .member(down)
        }
    }

    /// The decision records that differ from the published ones: one per stored stack (an
    /// `inactive` stack's wants nothing), and a deletion per record whose stack is gone.
    private var records: [ControllerWrite] {
        var writes: [ControllerWrite] = []
        for (name, stored) in state.stacks.sorted(by: { $0.key < $1.key }) {
            let record = DecisionRecord(stack: name, specRevision: stored.revision, placed: placedByStack[name] ?? [:],
                                        unplaced: unplacedByStack[name] ?? [:])
            if state.decisions[name] != record { writes.append(.decide(record)) }
        }
        for name in Set(state.decisions.keys).union(state.rollouts.keys).sorted() where state.stacks[name] == nil {
            writes.append(.forget(stack: name))
        }
        return writes
    }

    mutating func apply(_ action: PlanAction) {
        switch action {
        case .place(let instance, let stack, let machine):
            guard let assignment = assignment(instance, stack, machine) else { return }
            if let missing = missingEnvironment(stack) { return waiting(instance, stack, missing) }
            additions.append(.assign(assignment))
            placedByStack[stack, default: [:]][instance] = machine
            event("placed", stack, instance, machine, "placed \(instance) on \(machine)")
        case .keep(let instance, let stack, let machine):
            guard let wanted = assignment(instance, stack, machine) else { return }
            placedByStack[stack, default: [:]][instance] = machine
            guard let current = state.assignments[instance]?.assignment else {
                if let missing = missingEnvironment(stack) { return waiting(instance, stack, missing) }
                additions.append(.assign(wanted))
                return
            }
            // A key it reads is gone: it keeps running with the values it has (never with a
            // variable missing) until the key is back.
            if missingEnvironment(stack) != nil { return }
            var comparable = current
            comparable.fencingToken = 0
            comparable.startFirst = nil   // how it was started, not what it runs
            if comparable != wanted {
                if current.desired == wanted.desired, wanted.desired == .launched, !UnitSpec.runAlike(current.units, wanted.units) {
                    outdated[stack, default: []].append(wanted)   // the rollout replaces it in turn
                    return
                }
                additions.append(.assign(wanted))
                if current.desired != wanted.desired {
                    event(wanted.desired == .launched ? "started" : "stopped", stack, instance, machine,
                          "\(instance) on \(machine): desired state \(current.desired.rawValue) → \(wanted.desired.rawValue)")
                }
                // Same units at a new spec revision (the stack's count or another of its
                // settings changed): the agent takes it over in place, nothing restarts, and
                // there is nothing to tell.
            }
        case .stop(let instance, let stack, let machine, let reason):
            if options.held.contains(machine) { return keepHeld(instance, stack, machine) }
            if reason.contains("is draining"), !spendBudget(instance, stack, machine) { return keepForBudget(instance, stack, machine) }
            removals.append(.unassign(machine: machine, instance: instance))
            event("stopped", stack, instance, machine, "stopped \(instance) on \(machine): \(reason)")
        case .move(let instance, let stack, let from, let to, let reason):
            if options.held.contains(from) { return keepHeld(instance, stack, from) }
            if !spendBudget(instance, stack, from) { return keepForBudget(instance, stack, from) }
            removals.append(.unassign(machine: from, instance: instance))
            guard let assignment = assignment(instance, stack, to) else { return }
            if let missing = missingEnvironment(stack) { return waiting(instance, stack, missing) }
            additions.append(.assign(assignment))
            placedByStack[stack, default: [:]][instance] = to
            event("moved", stack, instance, to, "moved \(instance) from \(from) to \(to): \(reason)")
        }
    }

    /// Runs every stack's rollout (``RolloutStep``): the outdated instances it replaces now
    /// are assigned, its record is written when it changed. Call once, after every action and
    /// failure is in.
    mutating func roll() {
        // Only running instances roll: a `loaded` stack's new units are assigned at once (nothing
        // runs to replace), an `inactive` one has no instances.
        var reserved: [String: Resources]?
        for (name, stored) in state.stacks.sorted(by: { $0.key < $1.key }) where stored.record.desired == .launched {
            let placed = Array((placedByStack[name] ?? [:]).keys)
            let step = RolloutStep(stored: stored, state: state, now: options.now)
            let outcome = step.decide(waiting: outdated[name] ?? [], placed: placed,
                                      wanted: placed.count + (unplacedByStack[name]?.count ?? 0))
            for var assignment in outcome.replace {
                if reserved == nil { reserved = reservations() }
                if Self.startsFirst(assignment, machines: state.machines, reserved: &reserved!) {
                    let strategy = stored.record.spec.updateStrategy
                    assignment.startFirst = Overlap(upFor: strategy.minHealthyTime, atMost: strategy.healthyDeadline)
                }
                additions.append(.assign(assignment))
                event("updated", name, assignment.instance, assignment.machine,
                      "\(assignment.instance) on \(assignment.machine) updated to spec revision \(assignment.specRevision)"
                      + (outcome.record.map { " (rollout of \($0.label))" } ?? "")
                      + (assignment.startFirst != nil ? "; the new run starts before the old one stops" : ""))
            }
            for (kind, instance, message) in outcome.events { event(kind, name, instance, nil, message) }
            if let record = outcome.record, record != state.rollouts[name] { rolloutWrites.append(.rollout(record)) }
            if let revert = outcome.revert { reverts.append(revert) }
            if outcome.record?.isActive == true { rolling.insert(name) }
        }
    }

    /// Whether a rollout's replacement starts before the run it replaces stops: when no unit
    /// is exclusive (never two copies), reserves a host port or is checked on one (the copies
    /// would collide, or the check would reach the old copy), and the machine has room for the
    /// new copy on top of what is reserved there (the old copy included); the room it takes
    /// is then reserved.
    static func startsFirst(_ assignment: Assignment, machines: [MachineRecord], reserved: inout [String: Resources]) -> Bool {
        let need = assignment.units.reduce(Resources.zero) { $0 + $1.resources }
        let checkedOnPort = assignment.units.contains { unit in
            switch unit.health {
            case .tcp, .http: true
            case .exec, nil: false
            }
        }
        guard !assignment.units.contains(where: \.exclusive), need.ports.isEmpty, !checkedOnPort,
              let capacity = machines.first(where: { $0.id == assignment.machine })?.capacity else { return false }
        let used = reserved[assignment.machine] ?? .zero
        guard used.cpu + need.cpu <= capacity.cpu, used.memory + need.memory <= capacity.memory,
              used.disk + need.disk <= capacity.disk else { return false }
        reserved[assignment.machine] = used + need
        return true
    }

    /// What the assignments on each machine reserve: the stored ones, with this pass's
    /// removals and new assignments applied.
    private func reservations() -> [String: Resources] {
        var byInstance = state.assignments.mapValues(\.assignment)
        for case .unassign(_, let instance) in removals { byInstance[instance] = nil }
        for case .assign(let assignment) in additions { byInstance[assignment.instance] = assignment }
        var result: [String: Resources] = [:]
        for assignment in byInstance.values {
            result[assignment.machine, default: .zero] = result[assignment.machine, default: .zero]
                + assignment.units.reduce(Resources.zero) { $0 + $1.resources }
        }
        return result
    }

    /// Takes the reschedule step's records and events (the moves themselves came out of the
    /// scheduler, which avoided the machines the instances failed on).
    mutating func reschedule(_ outcome: RescheduleStep.Outcome) {
        rescheduleWrites = outcome.records.map { .reschedule($0) } + outcome.forget.sorted().map { .forgetReschedule(instance: $0) }
        for (stack, instance, machine, message) in outcome.events { event("rescheduled", stack, instance, machine, message) }
        rescheduleWaiting = outcome.waiting
    }

    /// Records why `failure.instance` is unplaced; drops an assignment it still has on a
    /// machine that is gone (the scheduler found no other home for it). The explanation keeps
    /// its first `since` while it stays the same, so an unchanged record is not rewritten.
    mutating func record(_ failure: PlacementFailure) {
        if let stored = state.assignments[failure.instance]?.assignment, options.held.contains(stored.machine) {
            return keepHeld(failure.instance, failure.stack, stored.machine)
        }
        let explanation = failure.description
        unplaced[failure.instance] = explanation
        if let stored = state.assignments[failure.instance]?.assignment,
           !state.machines.contains(where: { $0.id == stored.machine }),
           !removals.contains(.unassign(machine: stored.machine, instance: failure.instance)) {
            removals.append(.unassign(machine: stored.machine, instance: failure.instance))
            event("stopped", failure.stack, failure.instance, stored.machine,
                  "\(failure.instance) lost machine \(stored.machine) and cannot be placed elsewhere")
        }
        let previous = state.decisions[failure.stack]?.unplaced[failure.instance]
        let unchanged = previous?.explanation == explanation
        unplacedByStack[failure.stack, default: [:]][failure.instance] = UnplacedInstance(
            machinesTotal: failure.machinesTotal,
            reasons: failure.reasons.map { .init(reason: $0.reason.text, machines: $0.count) },
            explanation: explanation, since: unchanged ? previous!.since : options.now)
        if !unchanged { event("unplaced", failure.stack, failure.instance, nil, explanation) }
    }

    /// True when taking `instance` of `stack` off `machine` keeps within the stack's
    /// disruption budget (always, unless the machine is alive, drains and the stack has one;
    /// an instance that is unavailable already costs nothing); counts it.
    private mutating func spendBudget(_ instance: String, _ stack: String, _ machine: String) -> Bool {
        guard state.cordons[machine]?.draining == true, state.machines.contains(where: { $0.id == machine }),
              let budget = state.stacks[stack]?.record.spec.disruption,
              let stored = state.assignments[instance], state.isAvailable(stored) else { return true }
        let used = unavailable[stack] ?? state.unavailable(stack)
        guard used < budget.maxUnavailable else {
            unavailable[stack] = used
            return false
        }
        unavailable[stack] = used + 1
        return true
    }

    /// Leaves `instance` on the draining `machine` until its stack's disruption budget allows
    /// it to move (it counts as placed there meanwhile).
    private mutating func keepForBudget(_ instance: String, _ stack: String, _ machine: String) {
        placedByStack[stack, default: [:]][instance] = machine
        budgetWaiting.insert(stack)
    }

    /// Leaves `instance` assigned to `machine`, a dead machine the storm guard holds: it
    /// counts as placed there, and nothing is written for it.
    private mutating func keepHeld(_ instance: String, _ stack: String, _ machine: String) {
        placedByStack[stack, default: [:]][instance] = machine
        held.insert(instance)
    }

    /// Records that `instance` waits for the store keys its `env_from` reads: it is unplaced
    /// with that reason (the event is written once, while the reason stays the same).
    private mutating func waiting(_ instance: String, _ stack: String, _ missing: [String]) {
        let explanation = StoreEnvironment.waiting(for: missing)
        unplaced[instance] = explanation
        let previous = state.decisions[stack]?.unplaced[instance]
        let unchanged = previous?.explanation == explanation
        unplacedByStack[stack, default: [:]][instance] = UnplacedInstance(
            machinesTotal: state.machines.count, reasons: [.init(reason: explanation, machines: state.machines.count)],
            explanation: explanation, since: unchanged ? previous!.since : options.now)
        placedByStack[stack]?[instance] = nil
        if !unchanged { event("unplaced", stack, instance, nil, explanation) }
    }

    /// The `env_from` entries of `stack` that have no value in the store, or nil when every
    /// one has.
    private func missingEnvironment(_ stack: String) -> [String]? {
        guard let units = state.stacks[stack]?.record.spec.units,
              units.contains(where: { !$0.environmentFromStore.isEmpty }) else { return nil }
        let missing = Set(units.flatMap { StoreEnvironment.resolve($0, values: state.storeValues).missing })
        return missing.isEmpty ? nil : missing.sorted()
    }

    /// The assignment of `instance` to `machine`: the stack's units, each with the variables
    /// its `env_from` reads (``StoreEnvironment``), and its `disconnect` policy.
    private func assignment(_ instance: String, _ stack: String, _ machine: String) -> Assignment? {
        guard let stored = state.stacks[stack] else { return nil }
        let units = stored.record.spec.units.map { unit in
            guard !unit.environmentFromStore.isEmpty else { return unit }
            var resolved = unit
            resolved.storeEnvironment = StoreEnvironment.resolve(unit, values: state.storeValues).variables
            return resolved
        }
        var assignment = Assignment(instance: instance, stack: stack, machine: machine, units: units,
                                    specRevision: stored.revision, fencingToken: 0, desired: stored.record.desired)
        assignment.stopAfterDisconnect = stored.record.spec.disconnect?.stopAfter
        assignment.network = stored.record.spec.network
        return assignment
    }

    private mutating func event(_ kind: String, _ stack: String?, _ instance: String?, _ machine: String?, _ message: String) {
        events.append(EventRecord(at: options.now, kind: kind, stack: stack, instance: instance, machine: machine,
                                  message: message, source: options.leader))
    }
}
