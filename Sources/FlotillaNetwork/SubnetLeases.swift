import FlotillaStore

/// The subnet leases under `<prefix>/subnets/` in the store, read and written as flannel does,
/// so flannel machines and Flotilla machines can share one network config.
///
/// ``acquire(publicIP:attributes:previous:random:)`` takes this machine's subnet with
/// ``SubnetChoice``, under an etcd lease of ``ttl`` (24 h, flannel's), written
/// create-if-absent (`Version(key) == 0`): when another machine took the subnet between the
/// read and the write, the granted lease is revoked and the choice is made again on fresh
/// leases, up to ``attempts`` times (flannel exits there instead).
package struct SubnetLeases: Sendable {
    /// flannel's subnet lease time: 24 hours.
    package static let ttl: Int64 = 24 * 3600

    package let store: any KeyValueStore
    /// The network prefix, `/coreos.com/network` by default (flannel's `--etcd-prefix`).
    package let prefix: String
    package let config: NetworkConfig
    /// How many lost races ``acquire(publicIP:attributes:previous:random:)`` survives.
    package var attempts = 10

    package init(store: any KeyValueStore, prefix: String, config: NetworkConfig) {
        self.store = store
        self.prefix = Self.trimmed(prefix)
        self.config = config
    }

    private static func trimmed(_ prefix: String) -> String { prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix }

    /// The network config's key, `<prefix>/config`.
    package static func configKey(prefix: String) -> String { trimmed(prefix) + "/config" }
    /// Where the leases live, `<prefix>/subnets/`.
    package var subnetsPrefix: String { prefix + "/subnets/" }
    /// The key of `subnet`'s lease, `<prefix>/subnets/10.5.52.0-24`.
    package func key(_ subnet: IPv4Subnet) -> String { subnetsPrefix + subnet.leaseKey }

    /// A machine's hold on its subnet.
    package struct Held: Sendable, Hashable {
        package var subnet: IPv4Subnet
        /// The etcd lease the key is attached to.
        package var lease: Int64
        /// Whether the machine had this subnet already (its own lease was still there).
        package var kept: Bool
    }

    /// Every lease in the store that reads as one (others' keys that are not leases are skipped).
    package func leases() async throws -> [IPv4Subnet: LeaseAttributes] {
        let response = try await store.range(.prefix(Bytes(utf8: subnetsPrefix)))
        var found: [IPv4Subnet: LeaseAttributes] = [:]
        for kv in response.kvs {
            let name = kv.key.utf8String.dropFirst(subnetsPrefix.count)
            if let subnet = IPv4Subnet(leaseKey: name), let attributes = LeaseAttributes(json: kv.value) {
                found[subnet] = attributes
            }
        }
        return found
    }

    /// Takes this machine's subnet (see the type's comment) and returns it with its lease.
    package func acquire(publicIP: IPv4Address, attributes: LeaseAttributes, previous: IPv4Subnet?,
                         random: (Int) -> Int) async throws -> Held {
        for _ in 0..<attempts {
            var stale: [IPv4Subnet] = []
            let choice = SubnetChoice.decide(config: config, leases: try await leases(), publicIP: publicIP,
                                             previous: previous, stale: &stale, random: random)
            for subnet in stale { _ = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: key(subnet)))) }
            switch choice {
            case .exhausted:
                throw SubnetLeaseError("no free subnet in \(config.network) between \(config.subnetMin) and \(config.subnetMax) (SubnetMin, SubnetMax): every /\(config.subnetLength) is leased")
            case .keep(let subnet):
                // As flannel renews: a new lease, the value written again over it.
                let lease = try await store.leaseGrant(ttl: Self.ttl, id: 0).id
                _ = try await store.put(PutRequest(key: Bytes(utf8: key(subnet)), value: attributes.json, lease: lease))
                return Held(subnet: subnet, lease: lease, kept: true)
            case .take(let subnet):
                let lease = try await store.leaseGrant(ttl: Self.ttl, id: 0).id
                let key = Bytes(utf8: key(subnet))
                let answer = try await store.txn(TxnRequest(
                    compare: [Compare(key: key, .version(0), .equal)],
                    success: [.put(PutRequest(key: key, value: attributes.json, lease: lease))]))
                if answer.succeeded { return Held(subnet: subnet, lease: lease, kept: false) }
                _ = try? await store.leaseRevoke(id: lease)
            }
        }
        throw SubnetLeaseError("lost the race for a subnet \(attempts) times in a row: other machines keep taking the same subnets; try again")
    }

    /// Renews `held`'s lease for another ``ttl``; false when the lease is gone (the key went
    /// with it: acquire again).
    package func renew(_ held: Held) async throws -> Bool {
        try await store.leaseKeepAlive(id: held.lease).ttl > 0
    }
}

/// Taking a subnet failed; the text says why and what to do.
package struct SubnetLeaseError: Error, Sendable, Hashable, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
