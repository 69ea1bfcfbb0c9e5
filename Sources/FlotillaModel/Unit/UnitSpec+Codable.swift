/// A unit's stored form leaves out every setting still at its default (systemd's, as
/// ``UnitSpec/init(name:kind:)`` sets them), and a missing key reads as that default. Every
/// assignment carries its units' specs and every agent decodes its own; with most of some
/// twenty-five settings at their defaults, the short form is a fraction of the bytes to
/// write, send and parse.
extension UnitSpec {
    private enum CodingKeys: String, CodingKey {
        case name, kind, description, type, execStartPre, execStart, execStartPost, execStop, execStopPost
        case restart, restartSec, timeoutStartSec, timeoutStopSec, killSignal, environment, environmentFiles
        case environmentFromStore, storeEnvironment, workingDirectory, user, group, remainAfterExit, resources, after, health
        case healthFailures, healthGrace
        case exclusive, timer, location, ports
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), kind: try c.decodeIfPresent(UnitKind.self, forKey: .kind) ?? .service)
        func read<Value: Decodable>(_ key: CodingKeys, into value: inout Value) throws {
            if let decoded = try c.decodeIfPresent(Value.self, forKey: key) { value = decoded }
        }
        description = try c.decodeIfPresent(String.self, forKey: .description)
        try read(.type, into: &type)
        try read(.execStartPre, into: &execStartPre)
        try read(.execStart, into: &execStart)
        try read(.execStartPost, into: &execStartPost)
        try read(.execStop, into: &execStop)
        try read(.execStopPost, into: &execStopPost)
        try read(.restart, into: &restart)
        try read(.restartSec, into: &restartSec)
        try read(.timeoutStartSec, into: &timeoutStartSec)
        try read(.timeoutStopSec, into: &timeoutStopSec)
        try read(.killSignal, into: &killSignal)
        try read(.environment, into: &environment)
        try read(.environmentFiles, into: &environmentFiles)
        try read(.environmentFromStore, into: &environmentFromStore)
        try read(.storeEnvironment, into: &storeEnvironment)
        workingDirectory = try c.decodeIfPresent(String.self, forKey: .workingDirectory)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        group = try c.decodeIfPresent(String.self, forKey: .group)
        try read(.remainAfterExit, into: &remainAfterExit)
        try read(.resources, into: &resources)
        try read(.after, into: &after)
        health = try c.decodeIfPresent(HealthCheck.self, forKey: .health)
        try read(.healthFailures, into: &healthFailures)
        try read(.healthGrace, into: &healthGrace)
        try read(.exclusive, into: &exclusive)
        timer = try c.decodeIfPresent(TimerSpec.self, forKey: .timer)
        location = try c.decodeIfPresent(SourceLocation.self, forKey: .location)
        try read(.ports, into: &ports)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let defaults = UnitSpec(name: name, kind: kind)
        func write<Value: Encodable & Equatable>(_ value: Value, _ standard: Value, _ key: CodingKeys) throws {
            if value != standard { try c.encode(value, forKey: key) }
        }
        try c.encode(name, forKey: .name)
        try write(kind, .service, .kind)
        try c.encodeIfPresent(description, forKey: .description)
        try write(type, defaults.type, .type)
        try write(execStartPre, defaults.execStartPre, .execStartPre)
        try write(execStart, defaults.execStart, .execStart)
        try write(execStartPost, defaults.execStartPost, .execStartPost)
        try write(execStop, defaults.execStop, .execStop)
        try write(execStopPost, defaults.execStopPost, .execStopPost)
        try write(restart, defaults.restart, .restart)
        try write(restartSec, defaults.restartSec, .restartSec)
        try write(timeoutStartSec, defaults.timeoutStartSec, .timeoutStartSec)
        try write(timeoutStopSec, defaults.timeoutStopSec, .timeoutStopSec)
        try write(killSignal, defaults.killSignal, .killSignal)
        try write(environment, defaults.environment, .environment)
        try write(environmentFiles, defaults.environmentFiles, .environmentFiles)
        try write(environmentFromStore, defaults.environmentFromStore, .environmentFromStore)
        try write(storeEnvironment, defaults.storeEnvironment, .storeEnvironment)
        try c.encodeIfPresent(workingDirectory, forKey: .workingDirectory)
        try c.encodeIfPresent(user, forKey: .user)
        try c.encodeIfPresent(group, forKey: .group)
        try write(remainAfterExit, defaults.remainAfterExit, .remainAfterExit)
        try write(resources, defaults.resources, .resources)
        try write(after, defaults.after, .after)
        try c.encodeIfPresent(health, forKey: .health)
        try write(healthFailures, defaults.healthFailures, .healthFailures)
        try write(healthGrace, defaults.healthGrace, .healthGrace)
        try write(exclusive, defaults.exclusive, .exclusive)
        try c.encodeIfPresent(timer, forKey: .timer)
        try c.encodeIfPresent(location, forKey: .location)
        try write(ports, defaults.ports, .ports)
    }
}

/// A command's stored form leaves out `ignoreFailure` and `verbatim` unless they are set.
extension ExecCommand {
    private enum CodingKeys: String, CodingKey { case arguments, ignoreFailure, verbatim }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(arguments: try c.decode([String].self, forKey: .arguments),
                  ignoreFailure: try c.decodeIfPresent(Bool.self, forKey: .ignoreFailure) ?? false,
                  verbatim: try c.decodeIfPresent(Bool.self, forKey: .verbatim) ?? false)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(arguments, forKey: .arguments)
        if ignoreFailure { try c.encode(true, forKey: .ignoreFailure) }
        if verbatim { try c.encode(true, forKey: .verbatim) }
    }
}
