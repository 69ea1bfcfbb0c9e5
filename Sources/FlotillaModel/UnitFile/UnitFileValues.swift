/// Parsers for systemd value types: booleans, sizes, CPU quotas, signals.
enum UnitFileValues {
    /// systemd's booleans (`1 yes y true t on` / `0 no n false f off`, any case).
    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "yes", "y", "true", "t", "on": true
        case "0", "no", "n", "false", "f", "off": false
        default: nil
        }
    }

    /// Bytes for a systemd size: suffixes `K M G T P E` are powers of 1024 (systemd's rule,
    /// unlike YAML's `k`/`M`); `B` or none means bytes; `infinity` means no limit (0).
    static func bytes(_ text: String) -> Int64? {
        if text == "infinity" { return 0 }
        let factors: [Character: Double] = ["B": 1, "K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40, "P": 0x1p50, "E": 0x1p60]
        var number = Substring(text)
        var factor = 1.0
        if let last = number.last, let f = factors[last] {
            factor = f
            number = number.dropLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCIIDigit || $0 == "." }),
              number.filter({ $0 == "." }).count <= 1, let value = Double(number.hasPrefix(".") ? "0" + number : String(number)) else { return nil }
        let bytes = (value * factor).rounded(.down)
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes)
    }

    /// Millicores for `CPUQuota=50%` (500) or `200%` (2000).
    static func cpuQuota(_ text: String) -> Int64? {
        guard text.hasSuffix("%") else { return nil }
        let number = text.dropLast()
        guard !number.isEmpty, number.allSatisfy({ $0.isASCIIDigit || $0 == "." }), let percent = Double(number), percent > 0 else { return nil }
        return Int64((percent * 10).rounded())
    }

    /// Signal names systemd accepts for `KillSignal=`.
    static let signals = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
                          "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD",
                          "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
                          "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"]

    /// `SIGTERM` for `SIGTERM`, `TERM` or `15`; `SIGRTMIN+3` is kept; nil for anything else.
    static func signal(_ text: String) -> String? {
        if signals.contains(text) { return text }
        if signals.contains("SIG" + text) { return "SIG" + text }
        if let number = Int(text), number >= 1, number <= signals.count { return signals[number - 1] }
        for base in ["SIGRTMIN+", "RTMIN+"] where text.hasPrefix(base) {
            if let offset = Int(text.dropFirst(base.count)), offset >= 0, offset <= 30 { return "SIGRTMIN+\(offset)" }
        }
        return nil
    }

    /// Valid environment variable names: `[A-Za-z_][A-Za-z0-9_]*`.
    static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
