/// `[Timer]`: when a `.timer` unit starts its service.
extension UnitFileReader {
    /// systemd's `OnCalendar=` shorthands.
    static let calendarShorthands = ["minutely", "hourly", "daily", "monthly", "weekly", "yearly", "annually",
                                     "quarterly", "semiannually"]

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
            case "AccuracySec": timer.accuracySec = seconds
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

    /// Why `text` is not a plausible systemd calendar expression, or nil. Accepts the shorthands
    /// and `[weekdays] [date] [time] [timezone]` with `*`, lists, ranges (`..`) and repetitions (`/`).
    static func calendarProblem(_ text: String) -> String? {
        let usage = "use a shorthand (hourly, daily, weekly, …) or an expression like 'Mon..Fri *-*-* 02:00:00'"
        if calendarShorthands.contains(text.lowercased()) { return nil }
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard !tokens.isEmpty, tokens.count <= 4 else { return usage }
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday",
                    "friday", "saturday", "sunday"]
        func fields(_ token: Substring, _ separator: Character, _ counts: ClosedRange<Int>) -> Bool {
            let parts = token.split(separator: separator, omittingEmptySubsequences: false)
            return counts.contains(parts.count) && parts.allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isASCIIDigit || "*,./~".contains($0) }
            }
        }
        var sawDate = false, sawTime = false
        for (index, token) in tokens.enumerated() {
            let isDays = token.split(separator: ",").allSatisfy { item in
                item.split(separator: ".").allSatisfy { days.contains($0.lowercased()) }
            }
            if index == 0, isDays { continue }
            if !sawDate, !sawTime, token.contains("-"), fields(token, "-", 2...3) { sawDate = true; continue }
            if !sawTime, token.contains(":"), fields(token, ":", 2...3) { sawTime = true; continue }
            if index == tokens.count - 1, index > 0, token.allSatisfy({ $0.isLetter || $0 == "/" || $0 == "_" }) { continue }
            return "'\(token)' is not a weekday, date (Y-M-D) or time (H:M:S); \(usage)"
        }
        return nil
    }
}
