import FlotillaModel
import FlotillaStore
import Foundation
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import Synchronization

/// DNS discovery on this machine: once the overlay is up, it answers on the bridge's address
/// (the gateway of the machine's subnet), port 53, UDP and TCP, for the `flotilla.` zone
/// (``DiscoveryZone``), from the `endpoints/` keys it follows with a watch — an instance that
/// starts or stops anywhere in the cluster changes the answers as soon as its agent writes
/// the key. Every other name is forwarded to the host's resolvers (`/etc/resolv.conf`),
/// over UDP, and their answer passed back unchanged. Instances on the overlay have it as their
/// resolver (``InstanceNetworks`` writes their `resolv.conf`).
package struct DiscoveryDNS<C: Clock>: Service where C.Duration == Duration {
    let store: any KeyValueStore
    let layout: StoreLayout
    let overlay: OverlayState
    let logger: Logger
    let clock: C
    /// The port it listens on (53; tests may use another).
    let port: Int
    /// Where other names go, from `/etc/resolv.conf` unless given, and their port (53; tests
    /// may use another).
    let upstream: [String]
    let upstreamPort: Int

    package init(store: any KeyValueStore, layout: StoreLayout, overlay: OverlayState, logger: Logger, clock: C,
                 port: Int = 53, upstream: [String]? = nil, upstreamPort: Int = 53) {
        self.store = store; self.layout = layout; self.overlay = overlay; self.logger = logger; self.clock = clock
        self.port = port
        self.upstreamPort = upstreamPort
        self.upstream = upstream ?? Self.resolvers(in: (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? "")
    }

    package func run() async {
        await cancelWhenGracefulShutdown {
            guard let address = await waitForOverlay() else { return }
            let zone = CurrentZone()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await follow(into: zone) }
                group.addTask { await serve("UDP", address: address) { try await serveUDP(address, zone) } }
                group.addTask { await serve("TCP", address: address) { try await serveTCP(address, zone) } }
                await group.waitForAll()
            }
        }
    }

    /// The bridge's address once the overlay has one; nil when cancelled first.
    private func waitForOverlay() async -> String? {
        while !Task.isCancelled {
            if let current = overlay.current { return current.subnet.gateway.description }
            try? await clock.sleep(for: .seconds(1))
        }
        return nil
    }

    /// Runs one listener, starting it again a few seconds after it fails.
    private func serve(_ transport: String, address: String, _ body: () async throws -> Void) async {
        while !Task.isCancelled {
            do {
                try await body()
            } catch {
                if Task.isCancelled { return }
                logger.error("discovery DNS (\(transport) \(address):\(port)): \(error); trying again in 5 s")
            }
            try? await clock.sleep(for: .seconds(5))
        }
    }

    // MARK: Endpoints

    /// Keeps `zone` equal to the `endpoints/` keys: a full read, then a watch from there;
    /// read again after any failure.
    private func follow(into zone: CurrentZone) async {
        let prefix = Bytes(utf8: layout.endpoints)
        while !Task.isCancelled {
            do {
                let current = try await store.range(.prefix(prefix))
                var endpoints: [String: ServiceEndpoint] = [:]
                for kv in current.kvs { endpoints[kv.key.utf8String] = try? RecordCodec.decode(ServiceEndpoint.self, from: kv.value, key: kv.key.utf8String) }
                zone.state.withLock { $0.endpoints = endpoints }
                let watch = try await store.watch(WatchCreateRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(prefix),
                                                                     startRevision: current.header.revision + 1))
                defer { watch.cancel() }
                for try await response in watch {
                    zone.state.withLock { zone in
                        for event in response.events {
                            let key = event.kv.key.utf8String
                            zone.endpoints[key] = event.type == .delete ? nil : try? RecordCodec.decode(ServiceEndpoint.self, from: event.kv.value, key: key)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("discovery DNS: following \(layout.endpoints) failed: \(error); reading again in 1 s")
            }
            try? await clock.sleep(for: .seconds(1))
        }
    }

    // MARK: Listeners

    private func serveUDP(_ address: String, _ zone: CurrentZone) async throws {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: address, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("discovery DNS: answering on \(address):\(port) (UDP)")
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await envelope in inbound {
                    let query = Array(buffer: envelope.data)
                    let sender = envelope.remoteAddress
                    group.addTask {
                        guard let reply = await answer(query, zone) else { return }
                        try? await outbound.write(AddressedEnvelope(remoteAddress: sender, data: ByteBuffer(bytes: reply)))
                    }
                }
            }
        }
    }

    private func serveTCP(_ address: String, _ zone: CurrentZone) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: address, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("discovery DNS: answering on \(address):\(port) (TCP)")
        try await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        try? await connection.executeThenClose { inbound, outbound in
                            for try await frame in inbound {
                                guard let reply = await answer(Array(buffer: frame), zone) else { continue }
                                var framed = ByteBuffer()
                                framed.writeInteger(UInt16(reply.count))
                                framed.writeBytes(reply)
                                try await outbound.write(framed)
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: Answers

    /// The reply to one query: the zone's, or the host resolvers' (SERVFAIL when none
    /// answers); nil for what is not a query.
    private func answer(_ query: [UInt8], _ zone: CurrentZone) async -> [UInt8]? {
        switch zone.state.withLock({ $0.handle(query) }) {
        case .reply(let bytes): return bytes
        case .drop: return nil
        case .forward(let parsed):
            for server in upstream {
                if let reply = try? await forward(query, to: server) { return reply }
            }
            return DNSMessage.response(to: parsed, code: .serverFailure, authoritative: false, answers: [])
        }
    }

    /// Asks `server` over UDP; nil when it has not answered within 2 s.
    private func forward(_ query: [UInt8], to server: String) async throws -> [UInt8]? {
        let destination = try SocketAddress(ipAddress: server, port: upstreamPort)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: destination.protocol == .inet6 ? "::" : "0.0.0.0", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: destination, data: ByteBuffer(bytes: query)))
            return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    for try await envelope in inbound { return Array(buffer: envelope.data) }
                    return nil
                }
                group.addTask {
                    try await clock.sleep(for: .seconds(2))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        }
    }

    /// The `nameserver` addresses of a `resolv.conf`.
    package static func resolvers(in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: \.isWhitespace)
            return fields.count >= 2 && fields[0] == "nameserver" ? String(fields[1]) : nil
        }
    }
}

/// The zone as the listeners and the follower share it.
private final class CurrentZone: Sendable {
    let state = Mutex(DiscoveryZone())
}
