/// When a timer-driven unit (`schedule:` in YAML, a fleet `.timer`) runs next. Pure: the
/// supervisor passes the times it knows.
extension TimerSpec {
    /// The calendar triggers: the cron schedule (or `@every`) and every `OnCalendar=`.
    public var rules: [ScheduleRule] {
        var rules: [ScheduleRule] = []
        if let cron, let rule = CronSchedule.rule(cron) { rules.append(rule) }
        for expression in onCalendar {
            if case .success(let matcher) = SystemdCalendar.parse(expression) { rules.append(.calendar(matcher)) }
        }
        return rules
    }

    /// The first run after `now`: the earliest of the calendar triggers' next times,
    /// `OnBootSec=` after `activeSince` (when the timer started on this machine; only before
    /// its first run), and `OnUnitActiveSec=` after `lastRun` (the last run's start; before the
    /// first run, after `activeSince`). A time already past is `now`. Nil: nothing triggers
    /// again.
    public func nextRun(after now: Double, activeSince: Double, lastRun: Double?) -> Double? {
        var candidates = rules.compactMap { $0.next(after: now) }
        if let boot = onBootSec, lastRun == nil { candidates.append(max(now, activeSince + boot)) }
        if let every = onUnitActiveSec { candidates.append(max(now, (lastRun ?? activeSince) + every)) }
        return candidates.min()
    }

    /// The first run when the timer starts on a machine at `now`: at once when `Persistent=`
    /// is set and a calendar time passed since `lastRun` (a run missed while this machine's
    /// agent was down), otherwise ``nextRun(after:activeSince:lastRun:)``.
    public func firstRun(at now: Double, lastRun: Double?) -> Double? {
        if persistent, let lastRun, rules.contains(where: { ($0.next(after: lastRun) ?? .infinity) <= now }) { return now }
        return nextRun(after: now, activeSince: now, lastRun: lastRun)
    }
}
