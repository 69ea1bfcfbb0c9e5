import FlotillaModel

/// How a process ended.
package enum ProcessExit: Sendable, Hashable, Codable, CustomStringConvertible {
    /// It called `exit` with this code.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)
    /// An adopted process (not the agent's child) is gone; its exit status cannot be known.
    case unknown

    /// Exit code 0.
    package var isSuccess: Bool { self == .exited(0) }

    /// systemd's clean exit: code 0, and for every type but oneshot also SIGHUP, SIGINT,
    /// SIGTERM or SIGPIPE.
    package func isClean(for type: ServiceType) -> Bool {
        switch self {
        case .exited(let code): code == 0
        case .signaled(let signal): type != .oneshot && SignalNumbers.clean.contains(signal)
        case .unknown: false
        }
    }

    /// `exited 1`, `killed by SIGKILL`, `exited (status unknown: adopted process)`.
    package var description: String {
        switch self {
        case .exited(let code): "exited \(code)"
        case .signaled(let signal): "killed by \(SignalNumbers.name(signal))"
        case .unknown: "exited (status unknown: the process was adopted from an earlier agent run)"
        }
    }
}

/// Why a unit run ended, as systemd classifies it for `Restart=`.
package enum RunResult: Sendable, Hashable {
    /// Every process ended cleanly.
    case success
    /// A command exited non-zero, could not be executed, or vanished while adopted.
    case exitCode
    /// A process was killed by a signal that is not a clean exit.
    case signal
    /// A start or stop step took longer than its timeout.
    case timeout
    /// The health check failed `failures` times in a row (systemd's watchdog result: the
    /// agent killed a unit that stopped answering).
    case watchdog

    /// The result a process end stands for (`.success` when clean for `type`).
    package init(_ status: ProcessExit, type: ServiceType) {
        if status.isClean(for: type) { self = .success; return }
        if case .signaled = status { self = .signal } else { self = .exitCode }
    }
}

/// Linux signal numbers by name (x86-64 and arm64 share them).
package enum SignalNumbers {
    /// SIGHUP, SIGINT, SIGTERM, SIGPIPE: clean exits for systemd.
    package static let clean: Set<Int32> = [1, 2, 15, 13]
    /// SIGKILL.
    package static let kill: Int32 = 9
    /// SIGTERM.
    package static let term: Int32 = 15
    /// SIGCONT.
    package static let cont: Int32 = 18

    private static let names = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
                                "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
                                "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
                                "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
                                "SIGPWR", "SIGSYS"]
    /// glibc's SIGRTMIN (the kernel's 32 and 33 are reserved by the C library).
    private static let realtimeMin: Int32 = 34

    /// The number for `SIGTERM`, `TERM`, `15` or `SIGRTMIN+3`; nil when unknown.
    package static func number(_ name: String) -> Int32? {
        if let index = names.firstIndex(of: name) ?? names.firstIndex(of: "SIG" + name) { return Int32(index + 1) }
        if let number = Int32(name), number >= 1, number <= 64 { return number }
        for base in ["SIGRTMIN+", "RTMIN+"] where name.hasPrefix(base) {
            if let offset = Int32(name.dropFirst(base.count)), offset >= 0, realtimeMin + offset <= 64 { return realtimeMin + offset }
        }
        return nil
    }

    /// `SIGTERM` for 15, `SIGRTMIN+2` for 36, `signal 99` otherwise.
    package static func name(_ number: Int32) -> String {
        if number >= 1, Int(number) <= names.count { return names[Int(number) - 1] }
        if number >= realtimeMin, number <= 64 { return "SIGRTMIN+\(number - realtimeMin)" }
        return "signal \(number)"
    }
}
