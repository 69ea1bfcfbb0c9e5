import Yams

extension YAMLReader {
    /// The agent config's `reboot:` block; errors name the key.
    func rebootSettings(_ node: Node) -> RebootSettings? {
        guard let entries = entries(node, of: "reboot", context: "in reboot", known: RebootSettings.keys) else { return nil }
        var settings = RebootSettings()
        for entry in entries {
            let value = entry.value
            switch entry.key {
            case "strategy":
                guard let text = string(value, "reboot.strategy") else { continue }
                if let strategy = RebootSettings.Strategy(rawValue: text) { settings.strategy = strategy } else {
                    error(value, "reboot.strategy must be off, reboot or lock, found '\(text)'")
                }
            case "group":
                guard let text = string(value, "reboot.group") else { continue }
                if RebootSettings.isValidGroup(text) { settings.group = text } else {
                    error(value, "reboot.group '\(text)' must be letters, digits, '.' and '-' (FleetLock's group names)")
                }
            case "window": readWindow(value, into: &settings)
            case "needed_file":
                guard let text = string(value, "reboot.needed_file") else { continue }
                if text.hasPrefix("/") { settings.neededFile = text } else {
                    error(value, "reboot.needed_file must be an absolute path, found '\(text)'")
                }
            case "command":
                guard let words = command(value, "reboot.command") else { continue }
                if words.isEmpty { error(value, "reboot.command must not be empty") } else { settings.command = words }
            case "drain_time":
                guard let seconds = duration(value, "reboot.drain_time") else { continue }
                if seconds > 0 { settings.drainTime = seconds } else { error(value, "reboot.drain_time must be longer than 0") }
            default: break
            }
        }
        return settings
    }

    private func readWindow(_ node: Node, into settings: inout RebootSettings) {
        guard let entries = entries(node, of: "reboot.window", context: "in reboot.window", known: ["start", "length"]) else { return }
        let start = entries.first { $0.key == "start" }, length = entries.first { $0.key == "length" }
        guard let start, let length else {
            error(node, "reboot.window needs both start (e.g. \"Thu 23:00\") and length (e.g. 1h30m)")
            return
        }
        guard let startText = string(start.value, "reboot.window.start"), let lengthText = string(length.value, "reboot.window.length") else { return }
        switch RebootWindow.parse(start: startText, length: lengthText) {
        case .success(let window):
            settings.window = window
            settings.windowText = "\(startText) for \(lengthText)"
        case .failure(let problem):
            error(problem.description.hasPrefix("window length") ? length.value : start.value, "reboot.\(problem)")
        }
    }
}
