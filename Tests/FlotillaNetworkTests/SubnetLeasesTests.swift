import FlotillaNetwork
import FlotillaStore
import FlotillaTesting
import Synchronization
import Testing

/// Taking subnets in a store as flannel does: create-if-absent under a 24 h lease, the own
/// lease kept, a flannel-written lease respected, a lost race decided again.
@Suite struct SubnetLeasesTests {
    private let config = try! NetworkConfig(json: Array(#"{"Network": "10.5.0.0/16", "SubnetMax": "10.5.3.0"}"#.utf8))
    private let me = IPv4Address("192.168.1.10")!

    @Test func takesAFreeSubnetUnderADayLongLease() async throws {
        let store = InMemoryStore()
        let leases = SubnetLeases(store: store, prefix: "/coreos.com/network", config: config)
        // A lease exactly as flannel's documentation shows one, held by another machine.
        let flannels = #"{"PublicIP":"192.168.64.3","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}"#
        _ = try await store.put(PutRequest(key: Bytes(utf8: "/coreos.com/network/subnets/10.5.1.0-24"), value: Bytes(utf8: flannels)))
        let attributes = LeaseAttributes(publicIP: me, backendType: "host-gw")
        let held = try await leases.acquire(publicIP: me, attributes: attributes, previous: nil) { _ in 0 }
        #expect(held.subnet.description == "10.5.2.0/24" && !held.kept)
        let stored = try await store.range(RangeRequest(key: Bytes(utf8: "/coreos.com/network/subnets/10.5.2.0-24")))
        #expect(stored.kvs.first?.value.utf8String == #"{"PublicIP":"192.168.1.10","PublicIPv6":null,"BackendType":"host-gw"}"#)
        #expect(stored.kvs.first?.lease == held.lease)
        let granted = await store.leaseTimeToLive(id: held.lease, keys: false).grantedTTL
        #expect(granted == SubnetLeases.ttl, "flannel's 24 h")
        #expect(try await leases.leases().count == 2)

        let again = try await leases.acquire(publicIP: me, attributes: attributes, previous: nil) { _ in 0 }
        #expect(again.subnet == held.subnet && again.kept, "the machine's own lease is kept (by its PublicIP)")
        #expect(try await leases.renew(again))
        _ = try await store.leaseRevoke(id: again.lease)
        #expect(try await !leases.renew(again))
    }

    @Test func aLostRaceIsDecidedAgain() async throws {
        let other = LeaseAttributes(publicIP: IPv4Address("192.168.1.20")!, backendType: "vxlan")
        let store = RacingStore(inner: InMemoryStore(), stealing: "/coreos.com/network/subnets/10.5.1.0-24", value: other.json)
        let racing = SubnetLeases(store: store, prefix: "/coreos.com/network/", config: config)
        let won = try await racing.acquire(publicIP: me, attributes: .init(publicIP: me, backendType: "vxlan"), previous: nil) { _ in 0 }
        #expect(won.subnet.description == "10.5.2.0/24", "the first choice was taken meanwhile; the second attempt takes the next free one")
        #expect(try await store.leaseLeases().leases == [won.lease], "the lease granted for the lost subnet was revoked")
    }

    @Test func exhaustedSaysWhy() async throws {
        let store = InMemoryStore()
        let leases = SubnetLeases(store: store, prefix: "/coreos.com/network", config: config)
        for n in 1...3 {
            let other = LeaseAttributes(publicIP: IPv4Address("192.168.1.\(20 + n)")!, backendType: "vxlan")
            _ = try await store.put(PutRequest(key: Bytes(utf8: "/coreos.com/network/subnets/10.5.\(n).0-24"), value: other.json))
        }
        await #expect {
            try await leases.acquire(publicIP: me, attributes: .init(publicIP: me, backendType: "vxlan"), previous: nil) { _ in 0 }
        } throws: { "\($0)".contains("no free subnet in 10.5.0.0/16 between 10.5.1.0 and 10.5.3.0") }
    }
}

/// A store where another machine writes `key` just before the first transaction that would
/// create it: the race create-if-absent exists for.
private final class RacingStore: KeyValueStore, Sendable {
    let inner: any KeyValueStore
    let stealing: String
    let value: Bytes
    private let stolen = Mutex(false)

    init(inner: any KeyValueStore, stealing: String, value: Bytes) {
        self.inner = inner; self.stealing = stealing; self.value = value
    }

    func txn(_ request: TxnRequest) async throws -> TxnResponse {
        let first = stolen.withLock { stolen in defer { stolen = true }; return !stolen }
        if first, request.compare.contains(where: { $0.key.utf8String == stealing }) {
            _ = try await inner.put(PutRequest(key: Bytes(utf8: stealing), value: value))
        }
        return try await inner.txn(request)
    }

    func range(_ request: RangeRequest) async throws -> RangeResponse { try await inner.range(request) }
    func put(_ request: PutRequest) async throws -> PutResponse { try await inner.put(request) }
    func deleteRange(_ request: DeleteRangeRequest) async throws -> DeleteRangeResponse { try await inner.deleteRange(request) }
    func compact(_ request: CompactionRequest) async throws -> ResponseHeader { try await inner.compact(request) }
    func watch(_ request: WatchCreateRequest) async throws -> WatchStream { try await inner.watch(request) }
    func leaseGrant(ttl: Int64, id: Int64) async throws -> LeaseGrantResponse { try await inner.leaseGrant(ttl: ttl, id: id) }
    func leaseRevoke(id: Int64) async throws -> ResponseHeader { try await inner.leaseRevoke(id: id) }
    func leaseKeepAlive(id: Int64) async throws -> LeaseKeepAliveResponse { try await inner.leaseKeepAlive(id: id) }
    func leaseTimeToLive(id: Int64, keys: Bool) async throws -> LeaseTimeToLiveResponse { try await inner.leaseTimeToLive(id: id, keys: keys) }
    func leaseLeases() async throws -> LeaseLeasesResponse { try await inner.leaseLeases() }
    func status() async throws -> StoreStatus { try await inner.status() }
}
