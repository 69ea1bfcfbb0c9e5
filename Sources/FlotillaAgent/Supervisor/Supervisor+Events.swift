import FlotillaModel
import FlotillaNetwork

extension Supervisor {
    /// Feeds `event` to one unit's lifecycle and executes what it asks, answering spawns at
    /// once (the lifecycle's ordering contract); then writes the unit's run record, so a
    /// process spawned here is on record before the agent does anything else.
    func deliver(_ event: UnitEvent, to instance: String, _ unit: String, now: Double) {
        dirty.insert(instance)
        var queue = [event]
        while !queue.isEmpty {
            let next = queue.removeFirst()
            guard var run = instances[instance]?.units[unit] else { return }
            let actions = run.lifecycle.handle(next, now: now)
            instances[instance]!.units[unit] = run
            for action in actions {
                if let answer = execute(action, instance: instance, unit: unit) { queue.append(answer) }
            }
        }
        saveRecord(instance: instance, unit: unit)
    }

    private func execute(_ action: UnitAction, instance: String, unit: String) -> UnitEvent? {
        guard let run = instances[instance]?.units[unit] else { return nil }
        switch action {
        case .note(let text):
            journal.note(text, instance: Self.instanceName(instance), unit: unit)
        case .signal(let target, let signal):
            if target != .control, let main = run.main { driver.signal(main, signal) }
            if target != .main, let control = run.control { driver.signal(control, signal) }
            if target == .unit, let cgroup = run.cgroup, !cgroup.paths.isEmpty { driver.signal(cgroup: cgroup, signal) }
        case .spawn(let role, let command, _):
            return spawn(role, command, instance: instance, unit: unit)
        }
        return nil
    }

    private func spawn(_ role: ProcessRole, _ command: ExecCommand, instance: String, unit: String) -> UnitEvent {
        var run = instances[instance]!.units[unit]!
        if run.cgroup == nil {
            let placement = driver.makeCgroup(name: Self.cgroupName(instance, unit, instances[instance]!.serial), limits: run.spec.resources)
            run.cgroup = placement
            if let warning = placement.warning { journal.note(warning, instance: Self.instanceName(instance), unit: unit) }
        }
        if run.spec.exclusive {
            instances[instance]!.units[unit] = run
            listExclusive(starting: (instance, unit))
        }
        do throws(SpawnFailure) {
            let network = try attachNetwork(instance)
            let request = try launch.request(command, spec: run.spec, instance: Self.instanceName(instance),
                                             mainPID: role == .control ? run.lifecycle.main : nil,
                                             outputPath: journal.path(instance: Self.instanceName(instance), unit: unit),
                                             cgroup: run.cgroup, network: network)
            let sink = inboxSink
            let handle = try driver.spawn(request) { process, status in
                sink.yield(.exited(instance: instance, unit: unit, process: process, status))
            }
            if role == .main { run.main = handle } else { run.control = handle }
            instances[instance]!.units[unit] = run
            return .spawned(role, pid: handle.pid) // recorded when `deliver` has handled it
        } catch {
            instances[instance]!.units[unit] = run
            return .spawnFailed(role, reason: error.description) // the lifecycle notes it
        }
    }

    /// The run's overlay namespace (`network: overlay`), made now if it has none yet (or if the
    /// one on record is gone: the machine rebooted); nil for `network: host`.
    private func attachNetwork(_ instance: String) throws(SpawnFailure) -> InstanceAttachment? {
        let owner = instances[instance]!
        guard owner.assignment.network == .overlay else { return nil }
        guard let networks = configuration.networks else {
            throw SpawnFailure("network: overlay is not available: this agent runs without an overlay network (--no-overlay)")
        }
        if let existing = owner.network {
            if networks.exists(existing) { return existing }
            instances[instance]!.network = nil
        }
        do {
            let taken = Set(instances.values.compactMap { $0.network?.address })
            let made = try networks.attach(seed: "\(configuration.machine)/\(instance)/\(owner.serial)", taken: taken,
                                           forwards: PortForward.all(of: owner.assignment.units))
            instances[instance]!.network = made
            for unit in owner.order { saveRecord(instance: instance, unit: unit) }
            return made
        } catch {
            throw SpawnFailure("\(error)")
        }
    }

    /// The cgroup directory name of a unit run: `<instance>_<unit>_<serial>` without `/`.
    static func cgroupName(_ instance: String, _ unit: String, _ serial: String) -> String {
        "\(instance)_\(unit)_\(serial)".replacingOccurrences(of: "/", with: "_")
    }

    /// The unit's status as published.
    func status(of run: UnitRun, in instance: String) -> UnitStatus {
        let owner = instances[instance]!
        var state = run.lifecycle.state
        if state == .pending, owner.target == .hold || run.fencedOut { state = .exited }
        var exitCode: Int32?
        var exitSignal: Int32?
        switch run.lifecycle.lastExit {
        case .exited(let code): exitCode = code
        case .signaled(let signal): exitSignal = signal
        case .unknown, nil: break
        }
        return UnitStatus(instance: instance, unit: run.spec.name, machine: configuration.machine, state: state,
                          pid: run.lifecycle.main, exitCode: exitCode, exitSignal: exitSignal, restarts: run.lifecycle.restarts,
                          health: run.health,
                          lastError: run.lifecycle.lastError, warning: run.cgroup?.warning, since: run.lifecycle.since,
                          fencingToken: owner.assignment.fencingToken, lastRun: run.lastRun,
                          nextRun: owner.target == .run ? run.nextRun : nil, stack: owner.assignment.stack,
                          address: owner.network?.address, ports: owner.network == nil || run.spec.ports.isEmpty ? nil : run.spec.ports)
    }

    /// Publishes the statuses of `names` that changed since they were last published; each
    /// unit's record is written first.
    func publish(_ names: [String]) {
        for name in names where instances[name] != nil && Self.retiredInstance(name) == nil {
            for unit in instances[name]!.order {
                guard let run = instances[name]!.units[unit] else { continue }
                let current = status(of: run, in: name)
                guard current != run.published else { continue }
                record(current, after: run.published)
                instances[name]!.units[unit]!.published = current
                saveRecord(instance: name, unit: unit)
                changeSink.yield(.updated(current))
            }
        }
    }

    /// Counts and logs what changed between a unit's last published status and `current`:
    /// starts (into `running`), restarts, failures.
    private func record(_ current: UnitStatus, after previous: UnitStatus?) {
        var logger = configuration.logger
        logger[metadataKey: "instance"] = "\(current.instance)"
        logger[metadataKey: "unit"] = "\(current.unit)"
        if current.state == .running, previous?.state != .running {
            metrics.starts.increment()
            logger.info("unit running", metadata: ["pid": "\(current.pid.map(String.init) ?? "-")"])
        }
        let restarts = current.restarts - (previous?.restarts ?? 0)
        if restarts > 0 { metrics.restarts.increment(by: Int64(restarts)) }
        if current.state == .failed, previous?.state != .failed {
            metrics.failures.increment()
            logger.warning("unit failed", metadata: [
                "exit_code": "\(current.exitCode.map(String.init) ?? "-")",
                "signal": "\(current.exitSignal.map(String.init) ?? "-")",
                "error": "\(current.lastError ?? "-")"])
        }
    }

    /// Writes one unit's run record, unless it would write what it last wrote. It names the
    /// last main and control processes even after they ended: recovery checks pid and start
    /// time before acting on them.
    func saveRecord(instance: String, unit: String) {
        guard let owner = instances[instance], let run = owner.units[unit] else { return }
        let alive = run.lifecycle
        let record = UnitRunRecord(instance: instance, stack: owner.assignment.stack, specRevision: owner.assignment.specRevision,
                                   fencingToken: owner.assignment.fencingToken, desired: owner.assignment.desired, spec: run.spec,
                                   state: alive.state, main: run.main, control: run.control, cgroup: run.cgroup,
                                   restarts: alive.restarts, lastError: alive.lastError, since: alive.since,
                                   lastRun: run.lastRun, network: owner.network)
        guard record != run.saved else { return }
        records.save(record)
        instances[instance]!.units[unit]!.saved = record
    }
}
