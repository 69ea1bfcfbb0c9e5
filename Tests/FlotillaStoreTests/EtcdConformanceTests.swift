import FlotillaStore
import FlotillaTesting
import Testing

/// The store conformance suite through the etcd API: EtcdStore → gRPC → EtcdServer →
/// InMemoryStore. Every case must behave exactly as on InMemoryStore directly.
@Suite struct EtcdConformanceTests {
    @Test(arguments: StoreConformance.caseNames())
    func conformance(_ name: String) async throws {
        let harness = EtcdOverGRPCHarness()
        do {
            try await StoreConformance.run(name, with: harness)
            await harness.shutdown()
        } catch {
            await harness.shutdown()
            throw error
        }
    }
}
