import Foundation
import Testing
@testable import FlotillaModel

/// The agent's reboot strategy as a pure step, and its `reboot:` config block.
@Suite("Reboot strategy")
struct RebootStepTests {
    let utc = TimeZone(identifier: "UTC")!
    /// Thursday 2026-12-03 23:30 UTC.
    let thursday = Date(timeIntervalSince1970: 1_796_340_600)

    func settings(_ strategy: RebootSettings.Strategy, window: String? = nil) -> RebootSettings {
        var settings = RebootSettings()
        settings.strategy = strategy
        if let window { settings.window = try! RebootWindow.parse(start: window, length: "1h30m").get(); settings.windowText = window }
        settings.drainTime = 600
        return settings
    }

    func facts(needed: Bool = true, rebooted: Bool = false, registered: Bool = true, holds: Bool = false, at date: Date) -> RebootStep.Facts {
        RebootStep.Facts(needed: needed, rebooted: rebooted, registered: registered, holdsSlot: holds, now: date, zone: utc)
    }

    @Test("needed → lock asks for a slot, reboot reboots, off does nothing; not needed gives a held slot back")
    func strategies() {
        #expect(RebootStep.next(settings(.lock), facts(at: thursday)) == .request)
        #expect(RebootStep.next(settings(.reboot), facts(at: thursday)) == .reboot)
        #expect(RebootStep.next(settings(.off), facts(at: thursday)) == .idle)
        #expect(RebootStep.next(settings(.lock), facts(needed: false, at: thursday)) == .idle)
        guard case .release(let why) = RebootStep.next(settings(.lock), facts(needed: false, holds: true, at: thursday)) else {
            Issue.record("a slot held without a need is given back"); return
        }
        #expect(why.contains("/run/reboot-required is gone"))
    }

    @Test("back from a reboot: wait to be registered, then finish (even with the strategy off now)")
    func afterTheReboot() {
        #expect(RebootStep.next(settings(.lock), facts(rebooted: true, registered: false, at: thursday)) == .awaitRegistration)
        #expect(RebootStep.next(settings(.off), facts(rebooted: true, at: thursday)) == .finish)
    }

    @Test("the window is enforced at the start (with the drain time) and at the end")
    func window() {
        let lock = settings(.lock, window: "Thu 23:00")   // open until Fri 00:30
        #expect(RebootStep.next(lock, facts(at: thursday)) == .request, "23:30: an hour left, the drain needs 10 min")
        let late = thursday.addingTimeInterval(55 * 60)   // 00:25, five minutes left
        guard case .waitForWindow(let why) = RebootStep.next(lock, facts(at: late)) else { Issue.record("too late to start"); return }
        #expect(why.contains("less than the drain time (600 s)") && why.contains("next window at 2026-12-10T23:00:00Z"), "\(why)")
        #expect(RebootStep.next(lock, facts(holds: true, at: late)) == .request, "a drain under way may use the window to its end")
        guard case .waitForWindow(let closed) = RebootStep.next(lock, facts(holds: true, at: thursday.addingTimeInterval(3700))) else {
            Issue.record("the window closed during the drain"); return
        }
        #expect(closed.contains("closed before the drain finished"), "\(closed)")
        let reboot = settings(.reboot, window: "Thu 23:00")
        #expect(RebootStep.next(reboot, facts(at: thursday.addingTimeInterval(-3600))) != .reboot, "22:30: before the window")
    }

    @Test("the reboot: block is read, and each bad key is named")
    func config() {
        let (config, diagnostics) = AgentConfig.parse(text: """
            reboot:
              strategy: lock
              group: workers
              window: { start: "Thu 23:00", length: 1h30m }
              needed_file: /run/reboot-required
              command: [systemctl, reboot]
              drain_time: 15m
            fleetlock_listen: 0.0.0.0:8080
            """, file: "agent.yaml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(config?.reboot?.strategy == .lock && config?.reboot?.group == "workers" && config?.reboot?.drainTime == 900)
        #expect(config?.reboot?.window == RebootWindow(weekday: 5, minute: 23 * 60, length: 5400))
        #expect(config?.reboot?.command == ["systemctl", "reboot"] && config?.fleetLockListen == "0.0.0.0:8080")

        let (bad, problems) = AgentConfig.parse(text: """
            reboot:
              strategy: sometimes
              group: a/b
              window: { start: "Thu 25:00", length: 1h }
              needed_file: reboot-required
              command: []
              drain_tim: 1m
            """, file: "agent.yaml")
        #expect(bad == nil)
        let text = problems.map(\.description).joined(separator: "\n")
        for expected in ["reboot.strategy must be off, reboot or lock, found 'sometimes'", "reboot.group 'a/b'",
                         "'25:00' is not a time of day", "reboot.needed_file must be an absolute path", "'reboot.command' is empty",
                         "unknown key 'drain_tim'"] {
            #expect(text.contains(expected), "\(expected) in:\n\(text)")
        }
        let (_, missing) = AgentConfig.parse(text: "reboot:\n  window: { start: \"14:00\" }\n", file: "agent.yaml")
        #expect(missing.map(\.description).joined().contains("reboot.window needs both start"))
    }
}
