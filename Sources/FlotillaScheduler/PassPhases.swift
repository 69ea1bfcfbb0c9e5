import FlotillaModel

/// An assigned instance that must leave its machine: where it was and why.
struct Departure {
    /// The machine ID it ran on.
    var from: String
    /// Its position, or -1 when the machine left the cluster.
    var position: Int32
    /// Why it leaves.
    var reason: String
}

extension SchedulingPass {
    /// Runs both phases and assembles the plan.
    mutating func run(_ assignments: [String: String]) -> Plan {
        let departures = keepPhase(assignments)
        placePhase(departures)
        return assemble()
    }

    /// Phase 1. Assignments of wanted instances are checked in instance order against the
    /// instances kept before them; valid ones are kept (and counted), others depart. An exclusive
    /// instance whose machine is alive is stopped instead of moved (never two copies). Assignments
    /// of instances that are no longer wanted are stopped.
    mutating func keepPhase(_ assignments: [String: String]) -> [Int32: Departure] {
        var assigned = [Int32](repeating: -1, count: instances.count)
        var missing: [Int32: String] = [:]
        for (name, machineID) in assignments {
            guard let id = instances.idByName[name] else {
                unwantedStops.append(unwantedStop(name, machineID: machineID))
                continue
            }
            if let position = machines.positions[machineID] {
                assigned[Int(id)] = position
            } else {
                assigned[Int(id)] = -2
                missing[id] = machineID
            }
        }
        var departures: [Int32: Departure] = [:]
        for id in 0..<Int32(instances.count) where assigned[Int(id)] != -1 {
            let m = assigned[Int(id)], s = instances.stackOf[Int(id)]
            let fixed = instances.fixedMachine[Int(id)]
            let from = m >= 0 ? machines.id(m) : missing[id]!
            let reason: String
            if m < 0 {
                reason = "machine \(from) left the cluster"
            } else if !machines.alive[Int(m)] {
                reason = "machine \(from) is down"
            } else if machines.draining[Int(m)] && fixed < 0 {
                if stacks.stacks[Int(s)].isExclusive {
                    outcomes[Int(id)] = .stop(machine: from, reason: "machine \(from) is draining; exclusive: stops before it is placed again")
                    continue
                }
                reason = "machine \(from) is draining"
            } else {
                if fixed >= 0 && fixed != m {
                    reason = "a global instance belongs on machine \(machines.id(fixed))"
                } else {
                    let verdict = fullVerdict(id, stack: s, machine: m, keeping: true)
                    if case .fits = verdict {
                        commit(id, stack: s, machine: m)
                        outcomes[Int(id)] = .keep(m)
                        continue
                    }
                    let text = reasonText(verdict, stack: s, machine: m)
                    if case .avoided = verdict {
                        if stacks.stacks[Int(s)].isExclusive {
                            outcomes[Int(id)] = .stop(machine: from, reason: "rescheduled: it failed on \(from); exclusive: stops before it is placed again")
                            continue
                        }
                        departures[id] = Departure(from: from, position: m, reason: "rescheduled: it failed on \(from)")
                        continue
                    }
                    if fixed >= 0 && !verdict.isCapacity {
                        outcomes[Int(id)] = .stop(machine: from, reason: "machine no longer eligible: \(text)")
                        continue
                    }
                    reason = "no longer fits \(from): \(text)"
                }
                if stacks.stacks[Int(s)].isExclusive {
                    outcomes[Int(id)] = .stop(machine: from, reason: "exclusive: stops before it is placed again")
                    continue
                }
            }
            departures[id] = Departure(from: from, position: m, reason: reason)
        }
        return departures
    }

    /// Phase 2. Every undecided instance, in instance order: global instances try their machine,
    /// followers the machine of their targets, others the sampled candidates of ``choose(_:stack:)``.
    /// A stack whose instance fits nowhere makes its next instances fail the same way without a
    /// new search while nothing is committed in between (placement only adds load, so they would).
    mutating func placePhase(_ departures: [Int32: Departure]) {
        var lastFailure: (stack: Int32, commits: Int, failure: PlacementFailure)?
        for id in 0..<Int32(instances.count) {
            guard case .pending = outcomes[Int(id)] else { continue }
            let s = instances.stackOf[Int(id)]
            let fixed = instances.fixedMachine[Int(id)]
            let departure = departures[id]
            var target: Int32 = -1
            var reusable = false
            if fixed >= 0 {
                let verdict = fullVerdict(id, stack: s, machine: fixed, keeping: false)
                if case .fits = verdict {
                    target = fixed
                } else if !verdict.isCapacity {
                    let text = reasonText(verdict, stack: s, machine: fixed)
                    outcomes[Int(id)] = departure.map { .stop(machine: $0.from, reason: "machine no longer eligible: \(text)") } ?? .unwanted
                    continue
                }
            } else if facts[Int(s)].follows {
                if let first = instances.targets[Int(id)].first, first.instance >= 0, placedOn[Int(first.instance)] >= 0 {
                    let m = placedOn[Int(first.instance)]
                    if case .fits = fullVerdict(id, stack: s, machine: m, keeping: false) { target = m }
                }
            } else {
                reusable = placeLinks.byName[Int(s)].isEmpty
                if reusable, let last = lastFailure, last.stack == s, last.commits == commits {
                    var failure = last.failure
                    failure.instance = instances.names[Int(id)]
                    fail(id, failure, departure)
                    continue
                }
                target = choose(id, stack: s)
            }
            if target >= 0 {
                commit(id, stack: s, machine: target)
                if let departure {
                    outcomes[Int(id)] = departure.position == target
                        ? .keep(target) : .move(from: departure.from, to: target, reason: departure.reason)
                } else {
                    outcomes[Int(id)] = .place(target)
                }
            } else {
                let failure = explain(id)
                if reusable { lastFailure = (s, commits, failure) }
                fail(id, failure, departure)
            }
        }
    }

    private mutating func fail(_ id: Int32, _ failure: PlacementFailure, _ departure: Departure?) {
        failures.append(failure)
        outcomes[Int(id)] = .failed(stopFrom: departure?.from, reason: (departure?.reason ?? "") + "; no machine fits")
    }

    /// The stop of an assignment whose instance is not wanted: the stack is gone, was scaled
    /// down, or (global) the machine is no longer eligible.
    private func unwantedStop(_ name: String, machineID: String) -> (name: String, action: PlanAction) {
        var stack: Int32? = stacks.indexByName[name]
        var at = name.endIndex
        while stack == nil, let found = name[..<at].lastIndex(of: "@") {
            stack = stacks.indexByName[String(name[..<found])]
            at = found
        }
        let reason: String
        let stackName: String
        if let stack {
            let spec = stacks.stacks[Int(stack)].spec
            stackName = spec.name
            if case .count(let n) = spec.scale {
                reason = "scaled down to \(spec.naming == .single ? min(n, 1) : max(n, 0))"
            } else if let m = machines.positions[machineID] {
                reason = machines.alive[Int(m)] ? "machine \(machineID) no longer eligible" : "machine \(machineID) is down"
            } else {
                reason = "machine \(machineID) left the cluster"
            }
        } else {
            stackName = name.lastIndex(of: "@").map { String(name[..<$0]) } ?? name
            reason = "stack removed"
        }
        return (name, .stop(instance: name, stack: stackName, machine: machineID, reason: reason))
    }
}
