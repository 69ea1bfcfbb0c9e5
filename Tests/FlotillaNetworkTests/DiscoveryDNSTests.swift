import FlotillaModel
import FlotillaNetwork
import FlotillaStore
import FlotillaTesting
import Foundation
import Glibc
import Logging
import Testing

/// The discovery DNS server itself, on loopback (the "bridge" is 127.0.0.1 here): answers over
/// UDP and TCP from the endpoint keys, follows them as they change, and forwards other names to
/// an upstream resolver (a fake one that answers every query with its own bytes, QR set), with
/// SERVFAIL when the upstream says nothing.
struct DiscoveryDNSTests {
    @Test("answers over UDP and TCP, follows the endpoints, forwards other names")
    func serves() async throws {
        let port = Int.random(in: 20_000..<30_000), upstreamPort = port + 1
        let store = InMemoryStore()
        try await put(store, ServiceEndpoint(stack: "web", instance: "web@1", machine: "m1", address: "10.5.1.2"))
        let overlay = OverlayState()
        overlay.set(LocalOverlay(subnet: IPv4Subnet("127.0.0.0/24")!, mtu: 1500))
        let upstream = Process()
        upstream.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        upstream.arguments = ["-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", \(upstreamPort)))
            while True:
                data, peer = s.recvfrom(2048)
                if b"silent" not in data: s.sendto(data[:2] + bytes([data[2] | 0x80]) + data[3:], peer)
            """]
        try upstream.run()
        defer { kill(upstream.processIdentifier, SIGKILL); upstream.waitUntilExit() }   // the test runner's children block SIGTERM
        let server = DiscoveryDNS(store: store, layout: StoreLayout(), overlay: overlay, logger: Logger(label: "test.dns"),
                                  clock: ContinuousClock(), port: port, upstream: ["127.0.0.1"], upstreamPort: upstreamPort)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await server.run() }
            defer { group.cancelAll() }
            let udp = try await eventually("an answer over UDP") { try ask("udp", port, "web.flotilla.").contains("0a050102") ? true : nil }
            #expect(udp)
            #expect(try ask("tcp", port, "web.flotilla.").hasSuffix("0a050102"), "the same answer over TCP")

            try await put(store, ServiceEndpoint(stack: "web", instance: "web@2", machine: "m2", address: "10.5.2.2"))
            let both = try await eventually("the new instance in the answer") {
                let answer = try ask("udp", port, "web.flotilla.")
                return answer.contains("0a050102") && answer.contains("0a050202") ? answer : nil
            }
            #expect(both.dropFirst(12).prefix(4) == "0002", "two answers")   // header words 4-5: ANCOUNT (hex digits 12-15)
            _ = try await store.deleteRange(DeleteRangeRequest(key: Bytes(utf8: StoreLayout().endpoint(stack: "web", instance: "web@1"))))
            _ = try await eventually("the stopped instance gone from the answer") {
                let answer = try ask("udp", port, "web.flotilla.")
                return !answer.contains("0a050102") && answer.contains("0a050202") ? true : nil
            }

            let forwarded = try ask("udp", port, "example.org.")
            #expect(forwarded == query("example.org.").replacingCharacters(in: forwarded.index(forwarded.startIndex, offsetBy: 4)..<forwarded.index(forwarded.startIndex, offsetBy: 5), with: "8"),
                    "the upstream's answer, unchanged: \(forwarded)")
            let failed = try ask("udp", port, "silent.example.org.")
            #expect(failed.dropFirst(4).prefix(4) == "8182", "SERVFAIL when the upstream says nothing: \(failed)")
        }
    }

    private func put(_ store: InMemoryStore, _ endpoint: ServiceEndpoint) async throws {
        let key = StoreLayout().endpoint(stack: endpoint.stack, instance: endpoint.instance)
        _ = try await store.put(PutRequest(key: Bytes(utf8: key), value: RecordCodec.encode(endpoint)))
    }

    /// The hex of an A query for `name` with ID 0x1234 and RD set.
    private func query(_ name: String) -> String {
        var bytes: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") { bytes.append(UInt8(label.utf8.count)); bytes += Array(label.utf8) }
        bytes += [0, 0, 1, 0, 1]
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Sends `query(name)` to 127.0.0.1:`port` over `transport`; the answer's hex.
    private func ask(_ transport: String, _ port: Int, _ name: String) throws -> String {
        let script = """
            import socket, struct, sys
            q = bytes.fromhex(sys.argv[3])
            if sys.argv[1] == "udp":
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); s.sendto(q, ("127.0.0.1", int(sys.argv[2])))
                print(s.recv(2048).hex())
            else:
                s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5); s.sendall(struct.pack(">H", len(q)) + q)
                n = struct.unpack(">H", s.recv(2))[0]; data = b""
                while len(data) < n: data += s.recv(n - len(data))
                print(data.hex())
            """
        let (status, output) = try IPRoute2.execute("/usr/bin/python3", ["-c", script, transport, "\(port)", query(name)])
        guard status == 0 else { throw TestBedError("the query failed: \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls `value` every 50 ms for up to 10 s.
    private func eventually<T>(_ what: String, _ value: () async throws -> T?) async throws -> T {
        for _ in 0..<200 {
            if let found = try? await value() { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestBedError("timed out waiting for \(what)")
    }
}
