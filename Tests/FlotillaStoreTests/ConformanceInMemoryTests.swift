import FlotillaStore
import FlotillaTesting
import Testing

/// The store conformance suite against ``InMemoryStore`` on a manual clock: every case,
/// slow ones included (time is manual).
@Suite struct ConformanceInMemoryTests {
    @Test(arguments: StoreConformance.caseNames())
    func conformance(_ name: String) async throws {
        try await StoreConformance.run(name, with: InMemoryStoreHarness())
    }

    @Test func caseNamesAreUnique() {
        let names = StoreConformance.caseNames()
        #expect(Set(names).count == names.count)
        #expect(StoreConformance.caseNames(includeSlow: false).count < names.count)
    }
}
