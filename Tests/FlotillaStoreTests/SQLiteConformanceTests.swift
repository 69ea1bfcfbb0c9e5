import FlotillaStore
import FlotillaStoreSQLite
import FlotillaTesting
import Testing

@Suite("SQLite store conformance")
struct SQLiteConformanceTests {
    @Test(arguments: StoreConformance.caseNames(includeSlow: true))
    func conformance(_ name: String) async throws {
        try await withScratch { scratch in
            try await StoreConformance.run(name, with: RealTimeStoreHarness { try scratch.open() })
        }
    }
}
