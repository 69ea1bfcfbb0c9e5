import Foundation
import Testing
@testable import FlotillaModel

@Suite("Reboot windows and FleetLock requests")
struct RebootWindowTests {
    let utc = TimeZone(identifier: "UTC")!
    /// 2026-12-03 is a Thursday.
    func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text + "Z")! }

    @Test("a weekly window opens on its day; a start must leave room for the whole reboot before it closes")
    func weekly() throws {
        let window = try RebootWindow.parse(start: "Thu 23:00", length: "1h30m").get()
        #expect(window == RebootWindow(weekday: 5, minute: 23 * 60, length: 5400))
        #expect(window.lastOpening(atOrBefore: at("2026-12-04T00:10:00"), in: utc) == at("2026-12-03T23:00:00"))
        #expect(window.allowsStart(at: at("2026-12-03T23:30:00"), needing: 1800, in: utc))
        #expect(!window.allowsStart(at: at("2026-12-04T00:10:00"), needing: 1800, in: utc), "it would end after 00:30")
        #expect(!window.allowsStart(at: at("2026-12-03T22:59:00"), needing: 60, in: utc), "not open yet")
        #expect(!window.allowsStart(at: at("2026-12-05T23:30:00"), needing: 60, in: utc), "a Saturday")
        #expect(window.nextOpening(after: at("2026-12-04T00:10:00"), in: utc) == at("2026-12-10T23:00:00"))
    }

    @Test("a daily window; bad starts and lengths say what is wrong")
    func dailyAndErrors() throws {
        let window = try RebootWindow.parse(start: "14:00", length: "2h").get()
        #expect(window.allowsStart(at: at("2026-12-06T15:00:00"), needing: 3600, in: utc))
        #expect(!window.allowsStart(at: at("2026-12-06T15:01:00"), needing: 3600, in: utc))
        #expect(window.nextOpening(after: at("2026-12-06T15:00:00"), in: utc) == at("2026-12-07T14:00:00"))
        let errors = [("Thx 23:00", "1h", "'Thx' is not a day"), ("Thu 25:00", "1h", "'25:00' is not a time of day"),
                      ("Thu 23:00 x", "1h", "expected 'HH:MM' or 'Day HH:MM'"), ("14:00", "soon", "expected a duration"),
                      ("14:00", "25h", "longer than the day")]
        for (start, length, message) in errors {
            guard case .failure(let error) = RebootWindow.parse(start: start, length: length) else { Issue.record("\(start) \(length) parsed"); continue }
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test("FleetLock requests as Zincati sends them; each malformed part gets its error kind")
    func fleetLockRequests() {
        let body = Array(#"{"client_params":{"id":"975228d46dc94622b9bbe16671e2b58d","group":"default"}}"#.utf8)
        #expect(FleetLockRequest.parse(headers: ["Fleet-Lock-Protocol": "true"], body: body)
                == .success(FleetLockRequest(id: "975228d46dc94622b9bbe16671e2b58d", group: "default")))
        func kind(_ headers: [String: String], _ text: String) -> FleetLockError.Kind? {
            if case .failure(let error) = FleetLockRequest.parse(headers: headers, body: Array(text.utf8)) { return error.kind }
            return nil
        }
        let header = ["fleet-lock-protocol": "true"]
        #expect(kind([:], String(decoding: body, as: UTF8.self)) == .missingHeader)
        #expect(kind(["fleet-lock-protocol": "false"], String(decoding: body, as: UTF8.self)) == .missingHeader)
        #expect(kind(header, "{}") == .decodeError)
        #expect(kind(header, #"{"client_params":{"id":"","group":"default"}}"#) == .invalidID)
        #expect(kind(header, #"{"client_params":{"id":"a","group":"wor kers"}}"#) == .invalidGroup)
        #expect(kind(header, #"{"client_params":{"id":"a","group":""}}"#) == .invalidGroup)
        #expect(FleetLockError.Kind.semaphoreFull.status == 409)
        #expect(String(decoding: FleetLockError(.invalidGroup, "bad").body, as: UTF8.self) == #"{"kind":"invalid_group","value":"bad"}"#)
    }
}
