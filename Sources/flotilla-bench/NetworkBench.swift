import ArgumentParser
import FlotillaAPI
import FlotillaEtcd
import FlotillaModel
import FlotillaNetwork
import FlotillaStore
import FlotillaTesting
import Foundation

/// `flotilla-bench network`: the overlay's figures on the multi-host test bed (two hosts, real
/// agents), each as a ratio against a peer measured in the same run — TCP throughput between
/// two instances over vxlan and host-gw against the same iperf3 transfer between the hosts
/// directly; DNS answer latency against a UDP echo to the same address; the time from applying
/// an overlay stack to its name resolving against the time from applying the same stack on the
/// machine's network to its running status being written. Root and iperf3 needed
/// (`scripts/bench-network` installs it).
struct NetworkBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Measure overlay throughput (vxlan, host-gw), DNS latency and start-to-resolvable time (root, release build).")

    @Option(help: "Seconds of each iperf3 transfer.")
    var seconds: Int = 5

    @Option(help: "DNS queries (and UDP echoes) timed.")
    var queries: Int = 2000

    @Option(help: "Stacks applied for the start-to-resolvable figure.")
    var starts: Int = 5

    func run() async throws {
        if let reason = TestBed.unavailableReason { throw BenchError(reason) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/iperf3") else {
            throw BenchError("iperf3 is not installed (apt-get install iperf3, or run scripts/bench-network)")
        }
        for backend in ["vxlan", "host-gw"] {
            try await TestBed.with(hosts: 2) { bed in try await measure(backend, bed) }
        }
    }

    private func measure(_ backend: String, _ bed: TestBed) async throws {
        let directory = NSTemporaryDirectory() + "flotilla-bench-network-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let agents = try await bed.startAgents(executable: BuiltFlotilla.path, state: { "\(directory)/a\($0.index)" },
                                               log: { "\(directory)/a\($0.index).log" }, ttl: 5, flags: [[], []],
                                               environment: ["FLOTILLA_CONFIG": directory + "/client.yaml"])
        let tls = try EtcdTLS.files(ca: directory + "/a1/tls/ca.crt", certificate: directory + "/a1/tls/client.crt", key: directory + "/a1/tls/client.key")
        let storeConfiguration = EtcdStore.Configuration(endpoints: ["\(bed.hosts[0].address):2379"], transportSecurity: tls.clientSecurity)
        try await EtcdStore.with(configuration: storeConfiguration) {
            let config = #"{"Network": "10.8.0.0/16", "Backend": {"Type": "\#(backend)"}}"#
            _ = try await $0.put(PutRequest(key: Bytes(utf8: "/coreos.com/network/config"), value: Bytes(utf8: config)))
        }
        let subnets = try await bed.waitForSubnets(agents)
        let client = try APIClient(endpoint: "https://\(bed.hosts[0].address):4880",
                                   credentials: APICredentials.files(ca: directory + "/a1/tls/ca.crt", token: directory + "/a1/admin.token"))
        _ = try await client.apply(stackRequest("""
            stacks:
              srv:
                network: overlay
                placement: { metadata: { machine: ["2"] } }
                units:
                  iperf: { exec: [/usr/bin/iperf3, -s], restart: always }
              cli:
                network: overlay
                placement: { metadata: { machine: ["1"] } }
                units:
                  idle: { exec: [/bin/sleep, "1000000"], restart: always }
            """, name: "network"))
        let server = try await running(client, "srv@1")
        let inside = try namespace(of: try await running(client, "cli@1").pid)

        // Throughput: host to host directly, then instance to instance over the overlay.
        _ = try bed.start(bed.hosts[1], ["/usr/bin/iperf3", "-s", "-B", bed.hosts[1].address])
        try await Task.sleep(for: .milliseconds(300))
        let direct = try iperf(bed.run(bed.hosts[0], ["/usr/bin/iperf3", "-c", bed.hosts[1].address, "-t", "\(seconds)", "-J"]).output)
        let overlay = try iperf(IPRoute2.execute("/usr/sbin/ip", ["netns", "exec", inside, "/usr/bin/iperf3", "-c", server.address,
                                                                   "-t", "\(seconds)", "-J"]).1)
        figure("TCP throughput over \(backend)", String(format: "%.2f Gbit/s", overlay / 1e9),
               target: String(format: "%.2f× direct (%.2f Gbit/s)", overlay / direct, direct / 1e9))

        // DNS: answers from machine 1's agent against a UDP echo at the same address.
        let gateway = subnets[0].gateway.description
        _ = try bed.start(bed.hosts[0], ["/usr/bin/python3", "-c", Self.echoServer, gateway])
        try await Task.sleep(for: .milliseconds(300))
        let timings = try IPRoute2.execute("/usr/sbin/ip", ["netns", "exec", inside, "/usr/bin/python3", "-c", Self.timer, gateway, "\(queries)", "srv.flotilla."]).1
        let numbers = timings.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard numbers.count == 4 else { throw BenchError("the DNS timer printed: \(timings)") }
        figure("DNS answer p50 (\(backend), \(queries) queries)", String(format: "%.3f ms", numbers[0]),
               target: String(format: "%.2f× a UDP echo (%.3f ms)", numbers[0] / numbers[2], numbers[2]))
        figure("DNS answer p99", String(format: "%.3f ms", numbers[1]),
               target: String(format: "%.2f× a UDP echo (%.3f ms)", numbers[1] / numbers[3], numbers[3]))

        guard backend == "vxlan" else { return }
        // Start to resolvable: apply an overlay stack, time its endpoint key written (polled from
        // here every 2 ms) and its name resolving; then apply the same stack on the machine's
        // network and time its running status written.
        var resolvable: [Double] = [], up: [Double] = [], published: [Double] = []
        try await EtcdStore.with(configuration: storeConfiguration) { store in for k in 1...starts {
            let watcher = Process()
            watcher.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            watcher.arguments = ["netns", "exec", inside, "/usr/bin/python3", "-c", Self.resolveWatcher, "probe\(k).flotilla."]
            let pipe = Pipe()
            watcher.standardOutput = pipe
            watcher.standardError = pipe
            try watcher.run()
            try await Task.sleep(for: .milliseconds(200))
            let applied = Date().timeIntervalSince1970
            _ = try await client.apply(stackRequest("""
                stacks:
                  probe\(k):
                    network: overlay
                    placement: { metadata: { machine: ["2"] } }
                    units:
                      idle: { exec: [/bin/sleep, "1000000"] }
                """, name: "probe\(k)"))
            let key = Bytes(utf8: StoreLayout().endpoint(stack: "probe\(k)", instance: "probe\(k)@1"))
            while try await store.range(RangeRequest(key: key)).kvs.isEmpty {
                guard Date().timeIntervalSince1970 < applied + 30 else { throw BenchError("probe\(k)@1 has no endpoint after 30 s") }
                try await Task.sleep(for: .milliseconds(2))
            }
            published.append(Date().timeIntervalSince1970 - applied)
            watcher.waitUntilExit()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            guard let resolved = Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw BenchError("the watcher printed: \(output)") }
            resolvable.append(resolved - applied)

            let hostApplied = Date().timeIntervalSince1970
            _ = try await client.apply(stackRequest("""
                stacks:
                  hprobe\(k):
                    placement: { metadata: { machine: ["2"] } }
                    units:
                      idle: { exec: [/bin/sleep, "1000000"] }
                """, name: "hprobe\(k)"))
            let status = Bytes(utf8: StoreLayout().status(instance: "hprobe\(k)@1", unit: "idle"))
            while try await store.range(RangeRequest(key: status)).kvs.first
                .flatMap({ try? RecordCodec.decode(UnitStatus.self, from: $0.value, key: "status") })?.state != .running {
                guard Date().timeIntervalSince1970 < hostApplied + 30 else { throw BenchError("hprobe\(k)@1 is not running after 30 s") }
                try await Task.sleep(for: .milliseconds(2))
            }
            up.append(Date().timeIntervalSince1970 - hostApplied)
        } }
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        figure("apply to name resolving (median of \(starts))", String(format: "%.0f ms", median(resolvable) * 1000),
               target: String(format: "%.2f× a host-network stack's running status (%.0f ms)", median(resolvable) / median(up), median(up) * 1000))
        figure("apply to endpoint key written (median)", String(format: "%.0f ms", median(published) * 1000),
               target: String(format: "%.2f× a host-network stack's running status", median(published) / median(up)))
    }

    /// The instance's running unit: its address and pid, once it runs (at most 30 s).
    private func running(_ client: APIClient, _ instance: String) async throws -> (address: String, pid: Int32) {
        for _ in 0..<600 {
            let status = try await client.status().instances.first { $0.instance == instance }?.units.first?.status
            if let status, status.state == .running, let address = status.address, let pid = status.pid { return (address, pid) }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("\(instance) did not run within 30 s")
    }

    /// The named network namespace process `pid` is in.
    private func namespace(of pid: Int32) throws -> String {
        let name = try IPRoute2.execute("/usr/sbin/ip", ["netns", "identify", "\(pid)"]).1.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw BenchError("process \(pid) is in no named network namespace") }
        return name
    }

    /// Received bits per second from iperf3's JSON.
    private func iperf(_ json: String) throws -> Double {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let end = object?["end"] as? [String: Any], received = end?["sum_received"] as? [String: Any]
        guard let bits = received?["bits_per_second"] as? Double else { throw BenchError("iperf3 said: \(json.prefix(400))") }
        return bits
    }

    /// A UDP echo server on port 7 of the address in argv[1].
    static let echoServer = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 7))
        while True:
            data, peer = s.recvfrom(2048); s.sendto(data, peer)
        """

    /// Times argv[2] DNS queries for argv[3] to argv[1]:53, then as many echoes to argv[1]:7;
    /// prints the queries' p50 and p99 and the echoes' p50 and p99, in milliseconds.
    static let timer = """
        import socket, struct, sys, time
        server, count, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        question = b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".")) + b"\\0" + struct.pack(">HH", 1, 1)
        def timed(port, payload):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); s.connect((server, port))
            spent = []
            for i in range(count):
                packet = payload(i)
                start = time.perf_counter(); s.send(packet); reply = s.recv(2048); spent.append(time.perf_counter() - start)
                if port == 53 and (reply[:2] != packet[:2] or reply[3] & 15 != 0 or reply[7] == 0):
                    sys.exit("bad answer: " + reply.hex())
            spent.sort()
            return spent[len(spent) // 2] * 1000, spent[int(len(spent) * 0.99)] * 1000
        dns = timed(53, lambda i: struct.pack(">HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + question)
        echo = timed(7, lambda i: struct.pack(">HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + question)
        print("%.4f %.4f %.4f %.4f" % (dns[0], dns[1], echo[0], echo[1]))
        """

    /// Resolves argv[1] every millisecond until it resolves; prints the wall-clock time then.
    static let resolveWatcher = """
        import socket, sys, time
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.gethostbyname(sys.argv[1]); print(time.time()); sys.exit(0)
            except OSError:
                time.sleep(0.001)
        sys.exit("never resolved")
        """
}
