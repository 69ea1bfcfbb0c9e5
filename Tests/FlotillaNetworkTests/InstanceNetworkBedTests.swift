import FlotillaEtcd
import FlotillaModel
import FlotillaNetwork
import FlotillaStore
import FlotillaTesting
import Foundation
import Testing

/// Instances on the overlay (`network: overlay`) across the test bed's machines, for vxlan and
/// host-gw: a web server on host 2 or 3 and a client on host 1 that finds it by DNS name
/// (`web`, searched in `flotilla.`) and fetches a page over the overlay; the server's address
/// (from its machine's subnet) in its environment, its status and its endpoint key; the
/// server's machine dies and the name follows it to the other machine; that machine's agent
/// restarts and the server keeps its process and its address.
@Suite(.serialized, .enabled(if: TestBed.unavailableReason == nil, "\(TestBed.unavailableReason ?? "")"))
struct InstanceNetworkBedTests {
    @Test("a client reaches a server by DNS name over the overlay; the name follows the server when its machine dies",
          arguments: ["vxlan", "host-gw"])
    func clientReachesServerByName(backend: String) async throws {
        let directory = NSTemporaryDirectory() + "flotilla-instances-\(backend)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestBed.with(hosts: 3) { bed in
            let (machines, store, subnets) = try await BedAgents.onOverlay(bed, directory: directory, backend: backend, network: "10.6.0.0/16")
            defer { Task { await store.close() } }

            try Self.server.write(toFile: directory + "/server.py", atomically: true, encoding: .utf8)
            try Self.client.write(toFile: directory + "/client.py", atomically: true, encoding: .utf8)
            try """
                stacks:
                  web:
                    count: 1
                    network: overlay
                    placement: { metadata: { machine: ["2", "3"] } }
                    units:
                      http: { exec: [/usr/bin/python3, -u, \(directory)/server.py], restart: always, ports: { http: { port: 8080, host: 18080 } } }
                  client:
                    count: 1
                    network: overlay
                    placement: { metadata: { machine: ["1"] } }
                    units:
                      get: { exec: [/usr/bin/python3, -u, \(directory)/client.py], restart: always }
                """.write(toFile: directory + "/web.yaml", atomically: true, encoding: .utf8)
            let applied = try BedAgents.cli(["apply", "-f", directory + "/web.yaml", "--timeout", "30s"], directory: directory)
            #expect(applied.status == 0, "\(applied.output)")

            // The server's endpoint: an address of its machine's subnet, in its status and environment.
            let first = try await bedEventually("web@1's endpoint") { try await endpoint(store, "web", "web@1") }
            let serverHost = try #require(subnets.firstIndex { $0.contains(IPv4Address(first.address)!) }, "\(first.address) in \(subnets)")
            #expect(serverHost != 0, "the server runs on host 2 or 3")
            let status = try statusUnit(directory, "web@1")
            #expect(status["address"] as? String == first.address)
            let clientStatus = try statusUnit(directory, "client@1")
            #expect((clientStatus["address"] as? String).flatMap(IPv4Address.init).map(subnets[0].contains) == true, "the client's address is host 1's")
            #expect(try BedAgents.cli(["status"], directory: directory).output.contains(first.address), "status shows the address")

            // The client on host 1 resolves the name and gets the page over the overlay.
            _ = try await reaching(first.address, directory)
            // The named port is in the endpoint, and the machine's port 18080 is forwarded to it.
            #expect(first.ports == [NamedPort(name: "http", port: 8080, host: 18080)])
            let page = try IPRoute2.execute("/usr/bin/python3", ["-c", "import urllib.request; print(urllib.request.urlopen('http://\(bed.hosts[serverHost].address):18080/', timeout=2).read().decode())"])
            #expect(page.1.contains("web at \(first.address)"), "host port 18080 of host \(serverHost + 1): \(page.1)")

            // The server's machine dies: its agent is killed and its link goes down. The name follows
            // the server to the other machine.
            let dead = bed.hosts[serverHost]
            bed.kill(machines.processes[serverHost])
            try bed.run(dead, ["/usr/sbin/ip", "link", "set", dead.interface, "down"])
            let moved = try await bedEventually("web@1 moved") {
                try await endpoint(store, "web", "web@1").flatMap { $0.address != first.address ? $0 : nil }
            }
            let survivor = serverHost == 1 ? 2 : 1
            #expect(subnets[survivor].contains(IPv4Address(moved.address)!), "\(moved.address) is in host \(survivor + 1)'s subnet")
            _ = try await reaching(moved.address, directory)

            // The server's new machine's agent restarts: the server keeps its process and address.
            let pid = try #require(statusUnit(directory, "web@1")["pid"] as? Int)
            let statusKey = Bytes(utf8: "/flotilla/status/web@1/http")
            let written = try await store.range(RangeRequest(key: statusKey)).kvs.first?.modRevision ?? 0
            bed.kill(machines.processes[survivor])
            _ = try bed.start(bed.hosts[survivor], machines.arguments[survivor], log: "\(directory)/a\(survivor + 1)-again.log")
            _ = try await bedEventually("the restarted agent publishing web@1's status") {
                (try await store.range(RangeRequest(key: statusKey)).kvs.first?.modRevision ?? 0) > written ? true : nil
            }
            let after = try statusUnit(directory, "web@1")
            #expect(after["pid"] as? Int == pid, "the server's process was adopted, not started again")
            #expect(after["address"] as? String == moved.address)
            #expect(try await endpoint(store, "web", "web@1")?.address == moved.address)
            let lines = try clientLog(directory).split(separator: "\n").count
            _ = try await bedEventually("the client still reaching web") {
                let log = try clientLog(directory).split(separator: "\n")
                return log.count > lines + 2 && log.last!.contains("reached \(moved.address)") ? true : nil
            }
        }
    }

    /// An HTTP server on port 8080 that says where it runs.
    static let server = """
        import http.server, os
        class Page(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = ("web at " + os.environ["FLOTILLA_IP"] + "\\n").encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(("", 8080), Page).serve_forever()
        """

    /// Resolves `web` and fetches its page, every 0.2 s, saying what happened.
    static let client = """
        import socket, time, urllib.request
        while True:
            try:
                address = socket.gethostbyname("web")
                page = urllib.request.urlopen("http://web:8080/", timeout=1).read().decode().strip()
                print("reached " + address + ": " + page, flush=True)
            except Exception as error:
                print("not yet: " + str(error), flush=True)
            time.sleep(0.2)
        """

    private func endpoint(_ store: EtcdStore, _ stack: String, _ instance: String) async throws -> ServiceEndpoint? {
        let key = "/flotilla/endpoints/\(stack)/\(instance)"
        guard let value = try await store.range(RangeRequest(key: Bytes(utf8: key))).kvs.first?.value else { return nil }
        return try RecordCodec.decode(ServiceEndpoint.self, from: value, key: key)
    }

    /// The first unit's status of `instance`, from `flotilla status -o json`.
    private func statusUnit(_ directory: String, _ instance: String) throws -> [String: Any] {
        let output = try BedAgents.cli(["status", "-o", "json"], directory: directory).output
        let report = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        let instances = report?["instances"] as? [[String: Any]] ?? []
        let units = instances.first { $0["instance"] as? String == instance }?["units"] as? [[String: Any]]
        return units?.first?["status"] as? [String: Any] ?? [:]
    }

    /// Waits for the client's log to show it reached the server at `address`; the error has the
    /// log's last lines.
    private func reaching(_ address: String, _ directory: String) async throws -> Bool {
        do {
            return try await bedEventually("the client reaching web at \(address)") {
                try clientLog(directory).contains("reached \(address): web at \(address)") ? true : nil
            }
        } catch {
            throw TestBedError("\(error); the client's log ends with: \(try clientLog(directory).split(separator: "\n").suffix(5))")
        }
    }

    private func clientLog(_ directory: String) throws -> String {
        try BedAgents.cli(["logs", "client@1"], directory: directory).output
    }
}
