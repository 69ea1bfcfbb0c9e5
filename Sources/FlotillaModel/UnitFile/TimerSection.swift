/// `[Timer]`: when a `.timer` unit starts its service.
extension UnitFileReader {
    /// One `[Timer]` assignment.
    mutating func readTimer(_ entry: UnitFileEntry) {
        guard checkKey(entry, supported: UnitFileKeys.timerSupported, ignored: UnitFileKeys.timerIgnored),
              let value = entry.key == "Unit" ? value(entry) : entry.value else { return }
        let at = entry.valueLocation
        func invalid(_ usage: String) { error(at, "invalid \(entry.key)= value '\(value)'; \(usage)") }
        switch entry.key {
        case "OnCalendar":
            if value.isEmpty { timer.onCalendar = []; return }
            if let problem = UnitFileReader.calendarProblem(value) { return invalid(problem) }
            timer.onCalendar.append(value)
        case "OnUnitActiveSec", "OnBootSec", "OnStartupSec", "AccuracySec":
            if value.isEmpty {
                switch entry.key {
                case "OnUnitActiveSec": timer.onUnitActiveSec = nil
                case "AccuracySec": timer.accuracySec = nil
                default: timer.onBootSec = nil
                }
                return
            }
            guard let seconds = TimeSpan.seconds(value), seconds.isFinite, seconds >= 0 else { return invalid(TimeSpan.usage) }
            switch entry.key {
            case "OnUnitActiveSec": timer.onUnitActiveSec = seconds
            case "AccuracySec":
                timer.accuracySec = seconds
                warning(at, "AccuracySec= is ignored: Flotilla runs a timer's service at the second it is due")
            default: timer.onBootSec = seconds
            }
        case "Persistent":
            guard let flag = UnitFileValues.boolean(value) else { return invalid("expected yes or no") }
            timer.persistent = flag
        default: // Unit
            if let problem = UnitName.validate(forValidation(value)) { return error(at, "Unit=: \(problem)") }
            if value.hasSuffix(".timer") { return error(at, "Unit=: a timer must start a non-timer unit, such as a .service") }
            timer.unit = value
        }
    }

    /// Whole-unit checks for a `.timer`: at least one trigger.
    mutating func finishTimer(sectionLocation: SourceLocation?) {
        let at = sectionLocation ?? SourceLocation(file: file, line: 1, column: 1)
        if sectionLocation == nil {
            error(at, "\(name.name) has no [Timer] section; add one with OnCalendar= or OnUnitActiveSec=")
        } else if timer.onCalendar.isEmpty, !diagnostics.hasErrors, timer.onUnitActiveSec == nil, timer.onBootSec == nil {
            error(at, "[Timer] has no trigger; add OnCalendar=, OnUnitActiveSec=, OnBootSec= or OnStartupSec=")
        }
        unit.timer = timer
    }

    /// Why `text` is not a calendar expression Flotilla runs (``SystemdCalendar``), or nil.
    static func calendarProblem(_ text: String) -> String? {
        if case .failure(let problem) = SystemdCalendar.parse(text) { return problem.text }
        return nil
    }
}
