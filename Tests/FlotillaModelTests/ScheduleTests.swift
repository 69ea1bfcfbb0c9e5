import Foundation
import Testing
@testable import FlotillaModel

/// Seconds since 1970 of a UTC date and time.
private func utc(_ text: String) -> Double {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.date(from: text)!.timeIntervalSince1970
}

private func next(_ cron: String, after time: String) -> Double? {
    CronSchedule.rule(cron)?.next(after: utc(time))
}

private func calendar(_ expression: String, after time: String) -> Double? {
    guard case .success(let matcher) = SystemdCalendar.parse(expression) else { return nil }
    return matcher.next(after: utc(time))
}

@Suite("Schedules: cron, @every, OnCalendar and timer triggers")
struct ScheduleTests {
    @Test("cron fields: lists, ranges, steps, names; strictly after the given time")
    func cronNext() {
        // 2026-12-07 is a Monday.
        #expect(next("*/15 * * * *", after: "2026-12-07T10:07:30Z") == utc("2026-12-07T10:15:00Z"))
        #expect(next("*/15 * * * *", after: "2026-12-07T10:15:00Z") == utc("2026-12-07T10:30:00Z"))
        #expect(next("30 2 * * *", after: "2026-12-07T10:00:00Z") == utc("2026-12-08T02:30:00Z"))
        #expect(next("0 9-17/4 * * mon-fri", after: "2026-12-05T00:00:00Z") == utc("2026-12-07T09:00:00Z"))
        #expect(next("0 0 1 jan *", after: "2026-12-07T00:00:00Z") == utc("2027-01-01T00:00:00Z"))
        #expect(next("5/20 * * * *", after: "2026-12-07T10:06:00Z") == utc("2026-12-07T10:25:00Z"))
        #expect(next("0 0 * * 7", after: "2026-12-07T00:00:00Z") == utc("2026-12-13T00:00:00Z"), "7 is Sunday")
    }

    @Test("cron's day rule: a restricted day of month OR a restricted day of week")
    func dayOrWeekday() {
        // The 10th (a Thursday) comes before the next Sunday (the 13th).
        #expect(next("0 0 10 * sun", after: "2026-12-07T00:00:00Z") == utc("2026-12-10T00:00:00Z"))
        #expect(next("0 0 31 2 *", after: "2026-12-07T00:00:00Z") == nil, "February 31st never comes")
    }

    @Test("@every runs at multiples of its duration since 1970; the @names are cron lines")
    func everyAndNames() {
        #expect(CronSchedule.rule("@every 2s")?.next(after: 1001) == 1002)
        #expect(CronSchedule.rule("@every 2s")?.next(after: 1002) == 1004)
        #expect(CronSchedule.rule("@every 5m")?.next(after: 301) == 600)
        #expect(next("@hourly", after: "2026-12-07T10:07:00Z") == utc("2026-12-07T11:00:00Z"))
        #expect(next("@daily", after: "2026-12-07T10:07:00Z") == utc("2026-12-08T00:00:00Z"))
        #expect(next("@weekly", after: "2026-12-07T10:07:00Z") == utc("2026-12-13T00:00:00Z"))
        #expect(next("@monthly", after: "2026-12-07T10:07:00Z") == utc("2027-01-01T00:00:00Z"))
    }

    @Test("TZ= reads the fields in a time zone")
    func timeZone() {
        // 02:30 in Berlin (UTC+1 in December) is 01:30 UTC.
        #expect(next("TZ=Europe/Berlin 30 2 * * *", after: "2026-12-07T10:00:00Z") == utc("2026-12-08T01:30:00Z"))
        #expect(CronSchedule.problem("TZ=Mars/Olympus 0 * * * *")?.contains("unknown time zone 'Mars/Olympus'") == true)
        #expect(CronSchedule.problem("@every") != nil)
        #expect(CronSchedule.problem("@often")?.contains("unknown name '@often'") == true)
    }

    @Test("OnCalendar: shorthands, weekdays, dates, times with repetitions, time zones")
    func onCalendar() {
        #expect(calendar("hourly", after: "2026-12-07T10:07:00Z") == utc("2026-12-07T11:00:00Z"))
        #expect(calendar("weekly", after: "2026-12-07T10:07:00Z") == utc("2026-12-14T00:00:00Z"), "weekly is Mondays")
        #expect(calendar("Mon..Fri *-*-* 02:00:00", after: "2026-12-05T10:00:00Z") == utc("2026-12-07T02:00:00Z"))
        #expect(calendar("Sat,Sun 10:00", after: "2026-12-07T10:00:00Z") == utc("2026-12-12T10:00:00Z"))
        #expect(calendar("*-*-* *:*:0/20", after: "2026-12-07T10:00:05Z") == utc("2026-12-07T10:00:20Z"))
        #expect(calendar("2027-03-01", after: "2026-12-07T10:00:05Z") == utc("2027-03-01T00:00:00Z"))
        #expect(calendar("*-12-24 18:00 Europe/Berlin", after: "2026-12-07T10:00:00Z") == utc("2026-12-24T17:00:00Z"))
        #expect(UnitFileReader.calendarProblem("*-*~01") != nil, "'~' is not supported yet")
        #expect(UnitFileReader.calendarProblem("Mon..Fri 25:00")?.contains("hour") == true)
    }

    @Test("timer triggers: OnBootSec once after the timer starts, OnUnitActiveSec after each run, the earliest wins; Persistent catches up")
    func timerTriggers() {
        let boot = TimerSpec(onUnitActiveSec: 60, onBootSec: 5)
        #expect(boot.nextRun(after: 100, activeSince: 100, lastRun: nil) == 105)
        #expect(boot.nextRun(after: 105, activeSince: 100, lastRun: 105) == 165, "OnBootSec fires once")
        let every = TimerSpec(onUnitActiveSec: 2)
        #expect(every.firstRun(at: 100, lastRun: nil) == 102)
        #expect(every.nextRun(after: 102, activeSince: 100, lastRun: 102) == 104)
        #expect(every.nextRun(after: 110, activeSince: 100, lastRun: 102) == 110, "overdue runs at once")
        let daily = TimerSpec(onCalendar: ["daily"], persistent: true)
        let monday = utc("2026-12-07T10:00:00Z")
        #expect(daily.firstRun(at: monday, lastRun: utc("2026-12-05T00:00:00Z")) == monday, "a missed midnight runs at start")
        #expect(daily.firstRun(at: monday, lastRun: utc("2026-12-07T00:00:00Z")) == utc("2026-12-08T00:00:00Z"))
        var notPersistent = daily
        notPersistent.persistent = false
        #expect(notPersistent.firstRun(at: monday, lastRun: utc("2026-12-05T00:00:00Z")) == utc("2026-12-08T00:00:00Z"))
    }

    @Test("a .timer whose service is missing is an error naming both files")
    func timerWithoutService() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-timer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "[Timer]\nOnUnitActiveSec=2s\n".write(toFile: directory + "/lonely.timer", atomically: true, encoding: .utf8)
        let result = SpecLoader.load(paths: [directory + "/lonely.timer"])
        #expect(result.stacks.isEmpty)
        #expect(result.diagnostics.map(\.message) == [
            "lonely.timer runs lonely.service, which cannot be used: cannot read file: no such file; put lonely.service next to lonely.timer (or name another service with Unit=)",
        ])
    }
}

@Suite("Schedules: edge cases")
struct ScheduleEdgeTests {
    @Test("the repeated hour at a daylight-saving fall-back does not skip the rest of the day")
    func fallBack() {
        // 2026-11-01: New York falls back from EDT to EST at 02:00 EDT (06:00 UTC).
        let formatter = ISO8601DateFormatter()
        let at = formatter.date(from: "2026-11-01T06:32:00Z")!.timeIntervalSince1970   // 01:32 EST, the second 01:32
        let next = CronSchedule.rule("TZ=America/New_York */5 * * * *")?.next(after: at)
        #expect(next == formatter.date(from: "2026-11-01T06:35:00Z")!.timeIntervalSince1970)
    }

    @Test("cron's day rule follows the fields' text: a field starting with * does not make it an OR")
    func dayRuleByText() {
        let formatter = ISO8601DateFormatter()
        let monday = formatter.date(from: "2026-12-07T00:00:00Z")!.timeIntervalSince1970
        // `*/2` starts with *: odd days AND Sundays (cron), so Sunday the 13th, not Wednesday the 9th.
        #expect(CronSchedule.rule("0 0 */2 * sun")?.next(after: monday) == formatter.date(from: "2026-12-13T00:00:00Z")!.timeIntervalSince1970)
        // Both restricted without *: the 10th OR Sundays, so Thursday the 10th.
        #expect(CronSchedule.rule("0 0 10 * sun")?.next(after: monday) == formatter.date(from: "2026-12-10T00:00:00Z")!.timeIntervalSince1970)
    }
}
