import FlotillaModel

/// Health checks: while a unit with `health:` is running it is probed every interval (the
/// first probe after at most one second); `status.health` is `unknown` until the first
/// verdict, then `healthy` or `unhealthy`, and nil when the unit is not running. Failed
/// checks in a row, counted once the unit has run for `healthGrace`, stop the unit as a
/// failure at `healthFailures` (its lifecycle's `.unhealthy` event: the `watchdog` result, so
/// its `restart` policy decides what follows); a healthy verdict resets the count, and a
/// spec with `healthFailures` 0 only reports. `exec` probes run through the driver
/// with the unit's environment and journal, and are killed at their timeout; `tcp`/`http`
/// probes connect to 127.0.0.1 on a dispatch queue.
extension Supervisor {
    /// Starts or ends probing to match the state of each unit of `names`.
    func updateHealth(_ names: [String], now: Double) {
        for name in names where instances[name] != nil {
            for unit in instances[name]!.order {
                guard var run = instances[name]!.units[unit], let check = run.spec.health else { continue }
                let running = run.lifecycle.state == .running
                if running && run.health == nil {
                    run.health = .unknown
                    run.nextProbe = now + min(1, check.interval)
                } else if !running && run.health != nil {
                    if let probe = run.probe { driver.signal(probe, SignalNumbers.kill) }
                    run.health = nil
                    run.nextProbe = nil
                    run.probeDeadline = nil
                    run.probe = nil
                    run.probeSerial = takeProbeSerial()
                } else {
                    continue
                }
                instances[name]!.units[unit] = run
            }
        }
    }

    /// A probe serial no other unit's probe has: a verdict finds its unit by it, also after
    /// the unit's run moved aside or back (`Supervisor+Retire`).
    func takeProbeSerial() -> Int {
        probeSerials += 1
        return probeSerials
    }

    /// Starts due probes and kills `exec` probes past their timeout.
    func runDueProbes(now: Double) {
        for name in instances.keys {
            for unit in instances[name]!.order {
                guard var run = instances[name]!.units[unit], let check = run.spec.health else { continue }
                if let deadline = run.probeDeadline, deadline <= now {
                    run.probeDeadline = nil
                    if let probe = run.probe { driver.signal(probe, SignalNumbers.kill) } // its exit reports unhealthy
                }
                if let next = run.nextProbe, next <= now {
                    dirty.insert(name)
                    run.nextProbe = nil
                    run.probeSerial = takeProbeSerial()
                    startProbe(check, for: &run, instance: name, now: now)
                }
                instances[name]!.units[unit] = run
            }
        }
    }

    private func startProbe(_ check: HealthCheck, for run: inout UnitRun, instance: String, now: Double) {
        let sink = inboxSink
        let (unit, serial) = (run.spec.name, run.probeSerial)
        let report: @Sendable (Bool) -> Void = { sink.yield(.probed(instance: instance, unit: unit, serial: serial, healthy: $0)) }
        switch check {
        case .tcp(let port, _, let timeout):
            NetworkProbe.run(port: port, httpPath: nil, timeout: timeout, done: report)
        case .http(let port, let path, _, let timeout):
            NetworkProbe.run(port: port, httpPath: path, timeout: timeout, done: report)
        case .exec(let arguments, _, let timeout):
            do throws(SpawnFailure) {
                let request = try launch.request(ExecCommand(arguments: arguments), spec: run.spec, instance: Self.instanceName(instance),
                                                 mainPID: run.lifecycle.main, outputPath: journal.path(instance: Self.instanceName(instance), unit: unit),
                                                 cgroup: run.cgroup)
                run.probe = try driver.spawn(request) { _, status in report(status.isSuccess) }
                run.probeDeadline = now + timeout
            } catch {
                journal.note("health check: \(error)", instance: Self.instanceName(instance), unit: unit)
                report(false)
            }
        }
    }

    /// A probe's verdict arrived.
    func probeFinished(instance: String, unit: String, serial: Int, healthy: Bool, now: Double) {
        guard var run = instances[instance]?.units[unit], run.probeSerial == serial, run.health != nil,
              let check = run.spec.health else { return }
        let verdict: HealthState = healthy ? .healthy : .unhealthy
        if verdict != run.health && run.health != .unknown || verdict == .unhealthy && run.health == .unknown {
            journal.note("health check: \(verdict.rawValue)", instance: Self.instanceName(instance), unit: unit)
        }
        run.health = verdict
        run.probe = nil
        run.probeDeadline = nil
        run.nextProbe = now + check.interval
        let limit = run.spec.healthFailures
        if healthy {
            run.failedChecks = 0
        } else if limit > 0, now - run.lifecycle.since >= run.spec.healthGrace {
            run.failedChecks += 1
        }
        let giveUp = limit > 0 && run.failedChecks >= limit
        if giveUp { run.failedChecks = 0 }
        instances[instance]!.units[unit] = run
        if giveUp {
            deliver(.unhealthy("health check failed \(limit) time\(limit == 1 ? "" : "s") in a row"), to: instance, unit, now: now)
        }
    }

    /// The earliest probe time or probe timeout, if any.
    var nextHealthDeadline: Double? {
        instances.values.flatMap { $0.units.values.flatMap { [$0.nextProbe, $0.probeDeadline].compactMap { $0 } } }.min()
    }
}

extension HealthCheck {
    /// Seconds between probes (at least 0.1).
    var interval: Double {
        switch self {
        case .tcp(_, let interval, _), .http(_, _, let interval, _), .exec(_, let interval, _): max(0.1, interval)
        }
    }
}
