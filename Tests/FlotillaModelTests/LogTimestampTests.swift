import Foundation
import Testing
@testable import FlotillaModel

@Suite struct LogTimestampTests {
    @Test func formatsUTCToTheSecond() {
        #expect(LogTimestamp.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        // 2026-12-06 06:10:42.9 UTC: fractions are dropped, not rounded up.
        #expect(LogTimestamp.string(Date(timeIntervalSince1970: 1_796_537_442.9)) == "2026-12-06T06:10:42Z")
        #expect(LogTimestamp.string(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
    }

    @Test func agreesWithFoundationsFormatter() {
        let date = Date(timeIntervalSince1970: 1_234_567_890)
        #expect(LogTimestamp.string(date) == ISO8601DateFormatter().string(from: date))
    }
}

@Suite struct LogTimestampFractionTests {
    @Test("fraction digits are truncated, zero-padded and capped at 6")
    func fractions() {
        let date = Date(timeIntervalSince1970: 1_765_051_200.0625)
        #expect(LogTimestamp.string(date) == "2025-12-06T20:00:00Z")
        #expect(LogTimestamp.string(date, fractionDigits: 3) == "2025-12-06T20:00:00.062Z")
        #expect(LogTimestamp.string(date, fractionDigits: 9) == "2025-12-06T20:00:00.062500Z")
        #expect(LogTimestamp.string(Date(timeIntervalSince1970: 0), fractionDigits: 3) == "1970-01-01T00:00:00.000Z")
    }
}
