import Dispatch
import Glibc

/// TCP and HTTP health probes against this machine (127.0.0.1), each bounded by a timeout.
/// They block, so they run on a global dispatch queue, never on the supervisor's actor.
enum NetworkProbe {
    /// Runs a probe off the actor; `done` gets the verdict.
    static func run(port: Int, httpPath: String?, timeout: Double, done: @escaping @Sendable (Bool) -> Void) {
        DispatchQueue.global().async {
            let healthy = httpPath.map { http(port: port, path: $0, timeout: timeout) } ?? tcp(port: port, timeout: timeout)
            done(healthy)
        }
    }

    /// True when a TCP connection to 127.0.0.1:`port` is accepted within `timeout` seconds.
    static func tcp(port: Int, timeout: Double) -> Bool {
        guard let fd = connect(port: port, timeout: timeout) else { return false }
        close(fd)
        return true
    }

    /// True when `GET path` on 127.0.0.1:`port` answers 2xx or 3xx within `timeout` seconds.
    static func http(port: Int, path: String, timeout: Double) -> Bool {
        guard let fd = connect(port: port, timeout: timeout) else { return false }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: flotilla-health\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return false }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while response.count < 12 || !response.contains(10) {
            guard wait(fd, for: Int16(POLLIN), timeout: timeout) else { return false }
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        let statusLine = String(decoding: response.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else { return false }
        return (200..<400).contains(code)
    }

    /// A connected non-blocking socket, or nil.
    private static func connect(port: Int, timeout: Double) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            guard errno == EINPROGRESS, wait(fd, for: Int16(POLLOUT), timeout: timeout) else { close(fd); return nil }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else { close(fd); return nil }
        }
        return fd
    }

    private static func wait(_ fd: Int32, for events: Int16, timeout: Double) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        return poll(&entry, 1, Int32(max(1, timeout * 1000))) == 1 && entry.revents & events != 0
    }
}
