import Foundation
import FlotillaEtcd
import FlotillaStore
import Testing
@Test func tmpHealthProbe() async throws {
    try await withEtcdServer { _, port, _ in
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/root/.pyenv/shims/python3")
        p.arguments = ["/tmp/healthprobe/probe.py", "127.0.0.1:\(port)"]
        try p.run(); p.waitUntilExit()
    }
}
