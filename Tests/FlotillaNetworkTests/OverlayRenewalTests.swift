import FlotillaModel
import FlotillaNetwork
import FlotillaStore
import FlotillaTesting
import Foundation
import Logging
import Testing

/// The overlay service's lease renewal on a manual clock: nothing is renewed before 23 hours,
/// and at 23 hours (an hour before the 24 h lease runs out) the lease is renewed for another
/// 24 hours. The service runs in this process, its kernel changes in a test-bed host.
@Suite(.serialized, .enabled(if: TestBed.unavailableReason == nil, "\(TestBed.unavailableReason ?? "")"))
struct OverlayRenewalTests {
    @Test("the subnet lease is renewed an hour before its 24 hours run out")
    func renewedAnHourBeforeExpiry() async throws {
        let directory = NSTemporaryDirectory() + "flotilla-renewal-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestBed.with(hosts: 1) { bed in
            let leaseClock = ManualLeaseClock()
            let store = InMemoryStore(clock: leaseClock)
            _ = try await store.put(PutRequest(key: Bytes(utf8: "/coreos.com/network/config"),
                                               value: Bytes(utf8: #"{"Network": "10.5.0.0/16", "Backend": {"Type": "host-gw"}}"#)))
            var settings = OverlaySettings()
            settings.subnetFile = directory + "/subnet.env"
            let clock = ManualClock()
            let overlay = OverlayNetwork(store: store, settings: settings, layout: StoreLayout(), machineID: "m1",
                                         logger: Logger(label: "test"), clock: clock, kernel: IPRoute2(namespace: bed.hosts[0].namespace))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await overlay.run() }
                defer { group.cancelAll() }
                let lease = try await bedEventually("the subnet lease") {
                    try await store.range(.prefix(Bytes(utf8: "/coreos.com/network/subnets/"))).kvs.first?.lease
                }
                #expect(await store.leaseTimeToLive(id: lease, keys: false).grantedTTL == 86_400)
                _ = try await bedEventually("the renewal timer set") { clock.sleeping > 0 ? true : nil }

                leaseClock.advance(by: .seconds(22 * 3600))
                clock.advance(by: .seconds(22 * 3600))
                try await Task.sleep(for: .milliseconds(200))
                let before = await store.leaseTimeToLive(id: lease, keys: false).ttl
                #expect(before <= 2 * 3600, "not renewed after 22 hours: \(before) s left")

                leaseClock.advance(by: .seconds(3600))
                clock.advance(by: .seconds(3600))
                let renewed = try await bedEventually("the renewal at 23 hours") {
                    let left = await store.leaseTimeToLive(id: lease, keys: false).ttl
                    return left > 23 * 3600 ? left : nil
                }
                #expect(renewed <= 86_400)
                #expect(try await store.range(.prefix(Bytes(utf8: "/coreos.com/network/subnets/"))).kvs.first?.lease == lease,
                        "the same lease, kept alive")
            }
        }
    }
}
