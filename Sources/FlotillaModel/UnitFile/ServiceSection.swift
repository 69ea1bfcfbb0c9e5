/// `[Unit]` and `[Service]`: systemd semantics mapped onto ``UnitSpec``.
extension UnitFileReader {
    /// One `[Unit]` assignment.
    mutating func readUnit(_ entry: UnitFileEntry) {
        guard checkKey(entry, supported: UnitFileKeys.unitSupported, ignored: UnitFileKeys.unitIgnored),
              let value = value(entry) else { return }
        switch entry.key {
        case "Description":
            unit.description = value.isEmpty ? nil : value
        default: // After
            if value.isEmpty { unit.after = []; return }
            for word in entry.value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                let name = resolved(String(word), machine: .keep)
                if let problem = UnitName.validate(forValidation(String(word))) {
                    error(entry.location(at: offset(of: word, in: entry.value)), "After=: \(problem)")
                } else if !unit.after.contains(name) {
                    unit.after.append(name)
                }
            }
        }
    }

    /// One `[Service]` assignment.
    mutating func readService(_ entry: UnitFileEntry) {
        guard checkKey(entry, supported: UnitFileKeys.serviceSupported, ignored: UnitFileKeys.serviceIgnored) else { return }
        let key = entry.key
        if key.hasPrefix("Exec") || key == "Environment" {
            readWords(entry)
            return
        }
        // systemd expands specifiers only in names, paths and text, not in numbers or enums.
        let expands = ["EnvironmentFile", "WorkingDirectory", "User", "Group"].contains(key)
        guard let value = expands ? value(entry) : entry.value else { return }
        let at = entry.valueLocation
        func invalid(_ usage: String) { error(at, "invalid \(key)= value '\(value)'; \(usage)") }
        switch key {
        case "Type":
            if let type = ServiceType(rawValue: value) {
                unit.type = type
            } else if ["notify", "notify-reload", "dbus", "idle"].contains(value) {
                unit.type = .simple
                warning(at, "Type=\(value) is not supported by Flotilla; the unit runs as Type=simple")
            } else {
                invalid("expected one of: simple, exec, oneshot, forking" + Suggestion.hint(for: value, among: ServiceType.allCases.map(\.rawValue)))
            }
            typeLocation = entry.keyLocation
        case "Restart":
            let all = RestartPolicy.allCases.map(\.rawValue)
            if let policy = RestartPolicy(rawValue: value) { unit.restart = policy } else {
                invalid("expected one of: \(all.joined(separator: ", "))" + Suggestion.hint(for: value, among: all))
            }
        case "RestartSec", "TimeoutStartSec", "TimeoutStopSec", "TimeoutSec":
            guard let seconds = TimeSpan.seconds(value), seconds >= 0 else { return invalid(TimeSpan.usage) }
            let limit = seconds.isInfinite ? 0 : seconds // 0 = no limit
            switch key {
            case "RestartSec":
                guard seconds.isFinite else { return invalid("the delay must be finite") }
                unit.restartSec = seconds
            case "TimeoutStartSec": unit.timeoutStartSec = limit
            case "TimeoutStopSec": unit.timeoutStopSec = limit
            default: unit.timeoutStartSec = limit; unit.timeoutStopSec = limit
            }
        case "KillSignal":
            guard let signal = UnitFileValues.signal(value) else {
                return invalid("expected a signal name such as SIGTERM" + Suggestion.hint(for: value, among: UnitFileValues.signals))
            }
            unit.killSignal = signal
        case "EnvironmentFile":
            if value.isEmpty { unit.environmentFiles = []; return }
            let optional = value.hasPrefix("-")
            let path = optional ? String(value.dropFirst()) : value
            guard path.hasPrefix("/") else { return invalid("the path must be absolute (a leading '-' makes it optional)") }
            unit.environmentFiles.append(EnvironmentFile(path: path, optional: optional))
        case "WorkingDirectory":
            if value.isEmpty { unit.workingDirectory = nil; return }
            let path = value.hasPrefix("-") ? String(value.dropFirst()) : value
            guard path.hasPrefix("/") || path == "~" else { return invalid("use an absolute path or '~'") }
            unit.workingDirectory = path
        case "User":
            unit.user = value.isEmpty ? nil : value
        case "Group":
            unit.group = value.isEmpty ? nil : value
        case "RemainAfterExit":
            guard let flag = UnitFileValues.boolean(value) else { return invalid("expected yes or no") }
            unit.remainAfterExit = flag
        case "MemoryMax", "MemoryLimit":
            guard let bytes = UnitFileValues.bytes(value) else {
                return invalid("use bytes or a size with a base-1024 suffix K, M, G or T, like '512M'")
            }
            unit.resources.memory = bytes
        default: // CPUQuota
            if value.isEmpty { unit.resources.cpu = 0; return }
            guard let millis = UnitFileValues.cpuQuota(value) else { return invalid("use a percentage of one CPU like '50%' or '200%'") }
            unit.resources.cpu = millis
        }
    }

    /// `Exec*=` and `Environment=`: systemd word splitting, then specifiers per word.
    private mutating func readWords(_ entry: UnitFileEntry) {
        let key = entry.key
        if entry.value.isEmpty { return resetWords(key) }
        guard checkSpecifiers(entry, machine: .keep) else { return }
        if key == "Environment" {
            guard let words = split(entry, from: 0) else { return }
            for word in words {
                let text = resolved(word.text, machine: .keep)
                guard let equals = text.firstIndex(of: "="), UnitFileValues.isVariableName(text[..<equals]) else {
                    error(entry.location(at: word.offset), "invalid Environment= assignment '\(word.text)'; expected NAME=value with NAME made of letters, digits and '_'")
                    continue
                }
                unit.environment.append(EnvironmentVariable(name: String(text[..<equals]), value: String(text[text.index(after: equals)...])))
            }
            return
        }
        let chars = Array(entry.value)
        var prefixEnd = 0
        while prefixEnd < chars.count, "-@+!:".contains(chars[prefixEnd]) { prefixEnd += 1 }
        let prefixes = String(chars[0..<prefixEnd])
        guard var words = split(entry, from: prefixEnd) else { return }
        guard !words.isEmpty else {
            return error(entry.location(at: prefixEnd), "\(key)= has no command after '\(prefixes)'")
        }
        if prefixes.contains("@") {
            guard words.count >= 2 else { return error(entry.location(at: 0), "\(key)=: the '@' prefix needs a program and an argv[0]") }
            warning(entry.location(at: 0), "the '@' prefix (custom argv[0]) is not supported by Flotilla; '\(words[1].text)' is dropped")
            words.remove(at: 1)
        }
        for (flag, meaning) in [("+", "full privileges"), ("!", "elevated privileges"), (":", "no variable expansion")] where prefixes.contains(flag) {
            warning(entry.location(at: 0), "the '\(flag)' prefix (\(meaning)) is not supported by Flotilla; ignored")
        }
        let program = words[0].text
        if program.contains("/"), !program.hasPrefix("/") {
            return error(entry.location(at: words[0].offset), "\(key)=: executable path '\(program)' must be absolute (or a plain name looked up in PATH)")
        }
        let command = ExecCommand(arguments: words.map { resolved($0.text, machine: .keep) }, ignoreFailure: prefixes.contains("-"))
        switch key {
        case "ExecStartPre": unit.execStartPre.append(command)
        case "ExecStart": unit.execStart.append(command); execStartLocations.append(entry.keyLocation)
        case "ExecStartPost": unit.execStartPost.append(command)
        case "ExecStop": unit.execStop.append(command)
        default: unit.execStopPost.append(command)
        }
    }

    /// `Key=` with an empty value empties the list, as systemd does.
    private mutating func resetWords(_ key: String) {
        switch key {
        case "Environment": unit.environment = []
        case "ExecStartPre": unit.execStartPre = []
        case "ExecStart": unit.execStart = []; execStartLocations = []
        case "ExecStartPost": unit.execStartPost = []
        case "ExecStop": unit.execStop = []
        default: unit.execStopPost = []
        }
    }

    /// The words of the entry's value from character `start`, or nil after reporting an error.
    private mutating func split(_ entry: UnitFileEntry, from start: Int) -> [ExecLine.Word]? {
        switch ExecLine.split(String(entry.value.dropFirst(start))) {
        case .success(let words):
            return words.map { ExecLine.Word(text: $0.text, offset: $0.offset + start) }
        case .failure(let failure):
            error(entry.location(at: failure.offset + start), "\(entry.key)=: \(failure.message)")
            return nil
        }
    }

    /// Whole-unit checks for a `.service`: something to run, and systemd's oneshot rule.
    mutating func finishService(sectionLocation: SourceLocation?) {
        let at = sectionLocation ?? SourceLocation(file: file, line: 1, column: 1)
        if unit.execStart.isEmpty, !diagnostics.hasErrors, !(unit.type == .oneshot && !unit.execStop.isEmpty) {
            error(at, "\(name.name) has nothing to run; add ExecStart= to [Service]")
        }
        if unit.execStart.count > 1, unit.type != .oneshot {
            error(execStartLocations[1], "more than one ExecStart= (first at line \(execStartLocations[0].line)) is only allowed with Type=oneshot")
        }
    }

    /// Character offset of `word` (a slice of `text`) in `text`.
    func offset(of word: Substring, in text: String) -> Int {
        text.distance(from: text.startIndex, to: word.startIndex)
    }
}
