import FlotillaModel
import FlotillaStore
import Foundation
import Logging
import ServiceLifecycle

/// A machine's part in the overlay network, flannel's way: once `<prefix>/config` exists
/// (it waits for it), the machine takes a subnet lease (``SubnetLeases``), sets up its
/// backend device and the `flotilla0` bridge that owns the subnet's gateway, writes the
/// subnet file, and programs a route (and for vxlan a neighbour and a forwarding entry) per
/// other machine's lease, following the leases as they come and go. Its lease is renewed an
/// hour before its 24 h run out; a lease that vanishes is taken again (the same subnet when
/// it is still free) and reported as an event: the agent never stops over it.
///
/// Never fails the agent: a config it cannot use or a kernel it cannot program is logged and
/// recorded as an event, and tried again when the config changes or after a minute.
package struct OverlayNetwork<C: Clock>: Service where C.Duration == Duration {
    let store: any KeyValueStore
    let settings: OverlaySettings
    let layout: StoreLayout
    let machineID: String
    let logger: Logger
    let clock: C
    let kernel: IPRoute2
    /// Where the subnet and MTU go once the bridge owns the gateway (for instances' namespaces).
    let state: OverlayState
    /// How long before expiry the lease is renewed (flannel's `--subnet-lease-renew-margin`, 60 min).
    let renewMargin: Duration = .seconds(3600)

    /// `kernel` acts in the process's own network namespace unless a test gives it another.
    package init(store: any KeyValueStore, settings: OverlaySettings, layout: StoreLayout, machineID: String,
                 logger: Logger, clock: C, kernel: IPRoute2 = IPRoute2(), state: OverlayState = OverlayState()) {
        self.store = store; self.settings = settings; self.layout = layout; self.machineID = machineID
        self.logger = logger; self.clock = clock; self.kernel = kernel; self.state = state
    }

    package func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let config = try await waitForConfig()
                    try await takePart(config)
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.error("overlay network: \(error); trying again in a minute")
                    await record("network-failed", "overlay network: \(error)")
                    try? await clock.sleep(for: .seconds(60))
                }
            }
        }
    }

    /// The config once `<prefix>/config` holds one this machine can use.
    private func waitForConfig() async throws -> NetworkConfig {
        let configKey = SubnetLeases.configKey(prefix: settings.prefix)
        let key = Bytes(utf8: configKey)
        var announced = false
        while true {
            let current = try await store.range(RangeRequest(key: key))
            if let value = current.kvs.first?.value {
                do {
                    return try NetworkConfig(json: value, key: configKey)
                } catch {
                    logger.error("overlay network: \(error)")
                    await record("network-failed", "\(error); fix the config (this machine takes part once it is valid)")
                }
            } else if !announced {
                logger.info("overlay network: waiting for a config at \(configKey)")
                announced = true
            }
            let watch = try await store.watch(WatchCreateRequest(key: key, startRevision: current.header.revision + 1))
            defer { watch.cancel() }
            for try await response in watch where !response.events.isEmpty { break }
        }
    }

    /// Everything that changes while this machine has its subnet.
    private struct Held {
        var config: NetworkConfig
        var interface: IPRoute2.Interface
        var attributes: LeaseAttributes
        var lease: SubnetLeases.Held
        var peers: [IPv4Subnet: PeerRoute] = [:]
    }

    /// Takes a subnet and keeps the kernel in step with the leases until cancelled.
    private func takePart(_ config: NetworkConfig) async throws {
        let interface = try kernel.externalInterface(settings.interface)
        let mtu: Int
        let attributes: LeaseAttributes
        switch config.backend {
        case .vxlan(let vxlan):
            mtu = vxlan.mtu ?? interface.mtu - 50
            let mac = try kernel.vxlanDevice(vxlan, on: interface, mtu: mtu)
            attributes = LeaseAttributes(publicIP: interface.address, backendType: "vxlan", vxlan: (vxlan.vni, mac))
        case .hostGateway:
            mtu = interface.mtu
            attributes = LeaseAttributes(publicIP: interface.address, backendType: "host-gw")
        }
        let leases = SubnetLeases(store: store, prefix: settings.prefix, config: config)
        let previous = (try? String(contentsOfFile: settings.subnetFile, encoding: .utf8)).flatMap(SubnetFile.previousSubnet(in:))
        var random = SystemRandomNumberGenerator()
        let lease = try await leases.acquire(publicIP: interface.address, attributes: attributes, previous: previous) {
            Int.random(in: 0..<$0, using: &random)
        }
        var held = Held(config: config, interface: interface, attributes: attributes, lease: lease)
        try configureOwnSubnet(held, mtu: mtu)
        await record("network", "took subnet \(lease.subnet) of \(config.network) (\(config.backend.type) via \(interface.name) \(interface.address))"
                     + (lease.kept ? ", kept from before" : previous == lease.subnet ? ", the previous one" : ""))
        logger.notice("overlay network: subnet \(lease.subnet) on \(interface.name) \(interface.address), \(config.backend.type)")

        let revision = try await program(&held, leases: leases)
        let watch = try await store.watch(WatchCreateRequest(key: Bytes(utf8: leases.subnetsPrefix),
                                                             rangeEnd: KeyRange.prefixEnd(Bytes(utf8: leases.subnetsPrefix)),
                                                             startRevision: revision + 1))
        defer { watch.cancel() }
        let (inputs, input) = AsyncStream<WatchResponse?>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await response in watch { input.yield(response) }
                throw NetworkKernelError("the watch on the subnet leases ended")
            }
            group.addTask {
                while true {
                    try await clock.sleep(for: .seconds(SubnetLeases.ttl) - renewMargin)
                    input.yield(nil)   // renewal due
                }
            }
            for await next in inputs {
                if let response = next {
                    try await follow(response.events, &held, leases: leases, mtu: mtu)
                } else if try await !leases.renew(held.lease) {
                    try await retake(&held, leases: leases, mtu: mtu, why: "its lease expired")
                }
            }
            group.cancelAll()
        }
    }

    /// Sets the own subnet on the devices and writes the subnet file.
    private func configureOwnSubnet(_ held: Held, mtu: Int) throws {
        if case .vxlan(let vxlan) = held.config.backend {
            try kernel.setOnlyAddress(OverlayDevices.vxlan(vxlan.vni), held.lease.subnet.address, prefixLength: 32)
        }
        try kernel.bridge(gateway: held.lease.subnet.gateway, prefixLength: held.lease.subnet.prefixLength, mtu: mtu)
        try kernel.enableForwarding()
        if settings.ipMasquerade { try kernel.masquerade(held.config.network) }
        let file = SubnetFile(network: held.config.network, subnet: held.lease.subnet, mtu: mtu, ipMasquerade: settings.ipMasquerade)
        try writeAtomically(file.text, to: settings.subnetFile)
        state.set(LocalOverlay(subnet: held.lease.subnet, mtu: mtu))
    }

    /// Programs every other machine's lease as it is now; returns the revision read.
    private func program(_ held: inout Held, leases: SubnetLeases) async throws -> Int64 {
        let response = try await store.range(.prefix(Bytes(utf8: leases.subnetsPrefix)))
        for kv in response.kvs { update(key: kv.key, value: kv.value, &held, leases: leases) }
        return response.header.revision
    }

    /// Applies lease changes: others' leases to the kernel; the own lease's deletion retakes it.
    private func follow(_ events: [Event], _ held: inout Held, leases: SubnetLeases, mtu: Int) async throws {
        for event in events {
            let name = event.kv.key.utf8String.dropFirst(leases.subnetsPrefix.count)
            guard let subnet = IPv4Subnet(leaseKey: name) else { continue }
            if subnet == held.lease.subnet {
                if event.type == .delete { try await retake(&held, leases: leases, mtu: mtu, why: "its lease was deleted") }
                continue
            }
            update(key: event.kv.key, value: event.type == .delete ? nil : event.kv.value, &held, leases: leases)
        }
    }

    /// Adds, changes or removes the kernel entries of one other machine's lease.
    private func update(key: Bytes, value: Bytes?, _ held: inout Held, leases: SubnetLeases) {
        guard let subnet = IPv4Subnet(leaseKey: key.utf8String.dropFirst(leases.subnetsPrefix.count)),
              subnet != held.lease.subnet else { return }
        let wanted = value.flatMap { LeaseAttributes(json: $0) }.flatMap {
            PeerRoute.entries(subnet: subnet, attributes: $0, backend: held.config.backend, interface: held.interface)
        }
        guard wanted != held.peers[subnet] else { return }
        if let old = held.peers.removeValue(forKey: subnet) { kernel.remove(old) }
        guard let wanted else { return }
        do {
            try kernel.add(wanted)
            held.peers[subnet] = wanted
        } catch {
            kernel.remove(wanted)
            logger.error("overlay network: cannot route to \(subnet): \(error)")
        }
    }

    /// Takes a subnet again after the own lease vanished: the same one when it is still free.
    private func retake(_ held: inout Held, leases: SubnetLeases, mtu: Int, why: String) async throws {
        let before = held.lease.subnet
        var random = SystemRandomNumberGenerator()
        held.lease = try await leases.acquire(publicIP: held.interface.address, attributes: held.attributes, previous: before) {
            Int.random(in: 0..<$0, using: &random)
        }
        if held.lease.subnet != before { try configureOwnSubnet(held, mtu: mtu) }
        let outcome = held.lease.subnet == before ? "took \(before) again" : "\(before) was taken meanwhile; took \(held.lease.subnet)"
        logger.warning("overlay network: \(why); \(outcome)")
        await record("network", "this machine's subnet lease vanished (\(why)); \(outcome)")
    }

    /// Writes `text` to `path` through a temporary file and a rename, so readers never see half a file.
    private func writeAtomically(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".tmp"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else { throw NetworkKernelError("cannot replace \(path) (errno \(errno))") }
    }

    /// Records an event of `kind` (`network`, `network-failed`) for `flotilla events`; a
    /// failure to record is logged only.
    private func record(_ kind: String, _ message: String) async {
        let now = Date().timeIntervalSince1970
        let event = EventRecord(at: now, kind: kind, machine: machineID, message: message, source: machineID)
        do {
            let lease = try await store.leaseGrant(ttl: 7 * 86_400, id: 0).id
            let key = layout.event(unixNanoseconds: UInt64(now * 1e9), sequence: UInt64.random(in: 0..<100_000_000))
            _ = try await store.put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(event), lease: lease))
        } catch {
            logger.warning("overlay network: cannot record an event: \(error)")
        }
    }
}
