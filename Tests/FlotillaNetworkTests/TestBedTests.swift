import FlotillaNetwork
import FlotillaTesting
import Foundation
import Testing

/// The multi-host test bed itself: hosts reach each other, partitions and impairments act and
/// heal, frozen and killed processes behave as such, and nothing is left behind.
@Suite(.serialized, .enabled(if: TestBed.unavailableReason == nil, "\(TestBed.unavailableReason ?? "")"))
struct TestBedTests {
    /// Whether `from` reaches `to` over TCP within half a second (a listener on port 7 of `to`;
    /// on the bed's bridge a handshake takes well under a millisecond).
    /// Python's socket timeouts, not `timeout(1)`: the test process's children inherit a
    /// signal mask that keeps `timeout`'s SIGALRM from arriving.
    private func reaches(_ bed: TestBed, _ from: TestBed.Host, _ to: TestBed.Host) throws -> Bool {
        try bed.run(from, ["/usr/bin/python3", "-c", "import socket; socket.create_connection(('\(to.address)', 7), timeout=0.5)"]).status == 0
    }

    private func listen(_ bed: TestBed, _ host: TestBed.Host) throws -> Process {
        try bed.start(host, ["/usr/bin/python3", "-c", """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 7)); s.listen(64)
            while True: s.accept()[0].close()
            """])
    }

    @Test("three hosts reach each other; a partition cuts exactly the chosen pairs, both ways; heal restores them")
    func partitionAndHeal() async throws {
        try await TestBed.with(hosts: 3) { bed in
            let (h1, h2, h3) = (bed.hosts[0], bed.hosts[1], bed.hosts[2])
            for host in bed.hosts { _ = try listen(bed, host) }
            #expect(try await eventually { try reaches(bed, h1, h3) && reaches(bed, h3, h1) && reaches(bed, h2, h3) })
            try bed.partition([h1], from: [h2, h3])
            #expect(try !reaches(bed, h1, h2) && !reaches(bed, h1, h3), "h1 cannot reach the others")
            #expect(try !reaches(bed, h3, h1), "nor they h1")
            #expect(try reaches(bed, h2, h3) && reaches(bed, h3, h2), "the others still reach each other")
            try bed.heal()
            #expect(try reaches(bed, h1, h3) && reaches(bed, h3, h1))
        }
    }

    @Test("a host losing every packet reaches nobody; heal restores it")
    func lossAndHeal() async throws {
        try await TestBed.with(hosts: 3) { bed in
            let (h1, h2, h3) = (bed.hosts[0], bed.hosts[1], bed.hosts[2])
            for host in bed.hosts { _ = try listen(bed, host) }
            #expect(try await eventually { try reaches(bed, h1, h2) })
            try bed.impair(h1, loss: 100)
            #expect(try !reaches(bed, h1, h2))
            #expect(try reaches(bed, h2, h3), "only h1's packets are lost")
            try bed.heal()
            #expect(try reaches(bed, h1, h2))
        }
    }

    @Test("a delayed host's packets arrive no earlier than asked; heal removes the delay",
          .enabled(if: TestBed.delayAvailable, "this kernel has no tc netem (sch_netem)"))
    func delayAndHeal() async throws {
        try await TestBed.with(hosts: 2) { bed in
            let (h1, h2) = (bed.hosts[0], bed.hosts[1])
            _ = try listen(bed, h2)
            #expect(try await eventually { try reaches(bed, h1, h2) })
            try bed.impair(h1, delay: .milliseconds(200))
            let start = ContinuousClock.now
            #expect(try reaches(bed, h1, h2))
            let slow = ContinuousClock.now - start
            #expect(slow >= .milliseconds(200), "a TCP handshake waits for the delayed SYN: \(slow)")
            try bed.heal()
            #expect(try !bed.run(h1, ["/usr/sbin/tc", "qdisc", "show", "dev", "eth0"]).output.contains("netem"))
            #expect(try reaches(bed, h1, h2))
        }
    }

    @Test("a frozen process answers nothing until thawed; a killed one is gone; teardown leaves no namespace, link or process")
    func processesAndTeardown() async throws {
        var names: [String] = []
        var bridge = ""
        var server: Process?
        try await TestBed.with(hosts: 2) { bed in
            names = bed.hosts.map(\.namespace)
            bridge = bed.bridge
            let (h1, h2) = (bed.hosts[0], bed.hosts[1])
            let listener = try listen(bed, h2)
            server = listener
            #expect(try await eventually { try reaches(bed, h1, h2) })
            bed.freeze(listener)
            let unanswered = """
                import socket, sys
                s = socket.create_connection(('\(h2.address)', 7), timeout=0.5)
                try:
                    s.recv(1); sys.exit(1)
                except socket.timeout:
                    sys.exit(0)
                """
            #expect(try bed.run(h1, ["/usr/bin/python3", "-c", unanswered]).status == 0, "frozen: the kernel accepts, nobody answers")
            bed.thaw(listener)
            bed.kill(listener)
            #expect(!listener.isRunning)
            #expect(try !reaches(bed, h1, h2), "killed: the port is closed")
            _ = try listen(bed, h2) // left running: teardown must kill it
        }
        let namespaces = try String(decoding: runTool("/usr/sbin/ip", ["netns", "list"]), as: UTF8.self)
        for name in names { #expect(!namespaces.contains(name), "namespace \(name) left behind") }
        let links = try String(decoding: runTool("/usr/sbin/ip", ["-o", "link", "show"]), as: UTF8.self)
        #expect(!links.contains(bridge), "bridge \(bridge) left behind")
        #expect(server?.isRunning == false)
    }
}

private func runTool(_ tool: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return data
}

/// Polls `condition` every 100 ms for up to 10 s.
private func eventually(_ condition: () throws -> Bool) async throws -> Bool {
    for _ in 0..<100 {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return false
}
